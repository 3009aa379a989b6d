import Foundation

/// One image and its class index.
public struct LabeledImage: Sendable, Equatable {
    public var url: URL
    public var label: Int

    public init(url: URL, label: Int) {
        self.url = url
        self.label = label
    }
}

/// An image folder: one subfolder per class (names sorted give the class order),
/// or `train/` and `val/` each holding the class subfolders. JPEG and PNG files
/// (by extension, any case) are used; hidden files and other files are ignored.
public struct ImageFolder: Sendable {
    public var root: URL
    public var classNames: [String]
    /// Every image of a one-level folder; `train/`'s with a split layout.
    public var images: [LabeledImage]
    /// `val/`'s images with a split layout, else nil (split with `stratifiedSplit`).
    public var validation: [LabeledImage]?

    public static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    public init(scanning root: URL) throws(TrainingError) {
        self.root = root
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw .notAFolder(path: root.path)
        }
        let top = Self.subfolders(root)
        if top.contains("train"), top.contains("val") {
            let trainRoot = root.appendingPathComponent("train"), valRoot = root.appendingPathComponent("val")
            classNames = Self.subfolders(trainRoot)
            images = try Self.images(in: trainRoot, classes: classNames)
            for name in Self.subfolders(valRoot) where !classNames.contains(name) {
                throw .unknownValidationClass(name: name, path: valRoot.path)
            }
            validation = try Self.images(in: valRoot, classes: classNames, allowEmpty: true)
        } else {
            classNames = top
            images = try Self.images(in: root, classes: classNames)
            validation = nil
        }
    }

    /// Sorted names of the visible subfolders.
    static func subfolders(_ url: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
        return names.filter { name in
            var isDir: ObjCBool = false
            return !name.hasPrefix(".") && FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path, isDirectory: &isDir)
                && isDir.boolValue
        }.sorted()
    }

    static func images(in root: URL, classes: [String], allowEmpty: Bool = false) throws(TrainingError) -> [LabeledImage] {
        guard classes.count >= 2 else { throw .tooFewClasses(path: root.path, found: classes) }
        var result: [LabeledImage] = []
        for (label, name) in classes.enumerated() {
            let folder = root.appendingPathComponent(name)
            let files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter {
                !$0.hasPrefix(".") && imageExtensions.contains(($0 as NSString).pathExtension.lowercased())
            }.sorted()
            if files.isEmpty && !allowEmpty { throw .emptyClass(name: name, path: folder.path) }
            result += files.map { LabeledImage(url: folder.appendingPathComponent($0), label: label) }
        }
        return result
    }
}

/// Splits indices into train and validation per class, so each class keeps its
/// share: `round(n_c · fraction)` of class c (at least one when the class has two
/// or more images and `fraction > 0`) go to validation, chosen by a seeded shuffle.
/// Both parts come back sorted.
public func stratifiedSplit(labels: [Int], fraction: Double, seed: UInt64) -> (train: [Int], validation: [Int]) {
    var random = SeededRandom(seed: seed ^ 0x5350_4C49_5400_0000)
    var train: [Int] = [], validation: [Int] = []
    for c in Set(labels).sorted() {
        var members = labels.indices.filter { labels[$0] == c }
        random.shuffle(&members)
        var take = Int((Double(members.count) * fraction).rounded())
        if fraction > 0, members.count >= 2 { take = min(max(take, 1), members.count - 1) }
        validation += members.prefix(take)
        train += members.dropFirst(take)
    }
    return (train.sorted(), validation.sorted())
}
