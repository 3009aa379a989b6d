import Dispatch
import Foundation
import GraphIR
import ImageData
import Runtime
import Surgery
import TensorCore

/// Runs a feature extractor (a graph whose only output is `[N, ...]`: pooled features
/// `[N, C]`, or the activations at a block boundary such as `[N, 160, 5, 5]`) over image
/// files in batches, with the feature cache in front of it.
///
/// With `views > 0` every image also gets `views` augmented views (`Augmentation`), each
/// computed once and cached like the plain one. The cache is keyed by the digest of the
/// graph that runs: when the boundary moves (a block becomes trainable, so the frozen
/// prefix is a different graph), the new prefix has another digest and the old entries
/// are simply never read — invalidation needs no bookkeeping.
public struct FeatureExtractor {
    public var backbone: Graph
    public var inputName: String
    public var preprocessing: Preprocessing
    /// Feed NHWC instead of the preprocessor's NCHW (models such as open_nsfw).
    public var channelsLast: Bool
    public var batchSize: Int
    public var decoder: ImageDecoder

    public init(backbone: Graph, inputName: String, preprocessing: Preprocessing, channelsLast: Bool = false,
                batchSize: Int = 32, decoder: ImageDecoder = ImageDecoder()) {
        self.backbone = backbone
        self.inputName = inputName
        self.preprocessing = preprocessing
        self.channelsLast = channelsLast
        self.batchSize = batchSize
        self.decoder = decoder
    }

    /// What `extract` found.
    public struct Result: Sendable {
        /// One row per image (its plain view), nil for an unreadable image. A row holds
        /// `width` floats: one sample of the graph's output, flattened row-major.
        public var features: [[Float]?]
        /// Floats per row: the product of `sampleShape`.
        public var width: Int
        /// One sample's output shape (the graph's output without its batch dimension): `[C]`, `[C, H, W]`, …
        public var sampleShape: [Int]
        /// With `views > 0`: per image its augmented rows, views 1…V in order (nil for an
        /// unreadable image). Empty with `views == 0`.
        public var views: [[[Float]]?]
        /// Unreadable images: path and reason, in input order.
        public var failures: [(path: String, reason: String)]
        /// Plain rows read from the cache, and computed (rows passed in as `plain` count in neither).
        public var fromCache: Int
        public var computed: Int
        /// Augmented rows read from the cache, and computed.
        public var viewsFromCache: Int = 0
        public var viewsComputed: Int = 0
        /// Per image: true when its plain row was read from the cache.
        public var plainFromCache: [Bool] = []
        public var seconds: Double
        /// The plain rows' cache file (nil without a cache).
        public var cacheFile: URL?
        /// The augmented rows' cache file (nil without a cache or views).
        public var viewsCacheFile: URL? = nil
    }

    /// The digest the cache is keyed by for this backbone, and for the preprocessing.
    public var digests: (model: String, preprocessing: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let prep = (try? encoder.encode(preprocessing)).map { String(decoding: $0, as: UTF8.self) } ?? "\(preprocessing)"
        return (Digest.of(backbone), Digest.of(prep + (channelsLast ? " nhwc" : " nchw")))
    }

    /// The seed of view `view` (1…V) of the image whose content digest is `imageDigest`:
    /// the same in every run with the same `seed`.
    public static func viewSeed(seed: UInt64, imageDigest: String, view: Int) -> UInt64 {
        var d = Digest()
        d.combine("view \(seed) \(imageDigest) \(view)")
        return d.value
    }

    /// The cache key of an augmented view: the image's digest extended with the
    /// augmentation's digest, the seed and the view index. Plain rows are keyed by the
    /// image digest alone, so they are shared with runs without augmentation.
    public static func viewKey(imageDigest: String, augmentation: String, seed: UInt64, view: Int) -> String {
        "\(imageDigest)/\(augmentation)/\(seed)/\(view)"
    }

    /// Features for every image; `cacheDirectory: nil` disables the cache; `progressLabel: nil` shows no progress.
    ///
    /// - Parameters:
    ///   - views: augmented views per image (0: plain features only). View 0 is the plain image;
    ///     view v ≥ 1 is `augmentation` (nil: `Augmentation()`) applied with
    ///     `viewSeed(seed:imageDigest:view:)` to the decoded image, before the preprocessing.
    ///   - plain: plain rows the caller already has for these images (`features` of an earlier
    ///     call): used as they are, neither read from the cache nor computed; nil entries are extracted.
    public func extract(_ urls: [URL], cacheDirectory: URL?, progressLabel: String? = "features",
                        views: Int = 0, augmentation: Augmentation? = nil, seed: UInt64 = 0,
                        plain: [[Float]?]? = nil) throws -> Result {
        precondition(views >= 0, "views \(views)")
        precondition(plain == nil || plain!.count == urls.count, "plain rows for \(plain?.count ?? 0) of \(urls.count) images")
        let start = Date()
        guard let output = backbone.outputs.first, backbone.outputs.count == 1,
              let shape = backbone.type(of: output)?.shape, shape.rank >= 1,
              case let sampleShape = shape.dims.dropFirst().compactMap(\.value), sampleShape.count == shape.rank - 1 else {
            let out = backbone.outputs.first ?? "?"
            throw TrainingError.featureShape(value: out, shape: backbone.type(of: out)?.shape.description ?? "unknown")
        }
        let width = sampleShape.reduce(1, *)
        let augmentation = augmentation ?? Augmentation()
        let augmentationDigest = Digest.of(augmentation)

        var imageDigests: [String?] = []
        var failures: [Int: String] = [:]
        for (i, url) in urls.enumerated() {
            do { imageDigests.append(try Digest.ofFile(url)) } catch {
                imageDigests.append(nil)
                failures[i] = "cannot read the file"
            }
        }
        var features = plain ?? [[Float]?](repeating: nil, count: urls.count)
        for i in features.indices where features[i]?.count != width { features[i] = nil }
        let given = features.map { $0 != nil }
        var viewRows = [[[Float]?]](repeating: [[Float]?](repeating: nil, count: views), count: views > 0 ? urls.count : 0)

        // The cache: plain rows in one file, augmented ones in another (so a plain run never loads them).
        var plainCache: FeatureCache?, viewsCache: FeatureCache?
        var newPlain: [String: [Float]] = [:], newViews: [String: [Float]] = [:]
        var plainFromCache = [Bool](repeating: false, count: urls.count)
        if let cacheDirectory {
            let d = digests
            plainCache = FeatureCache(directory: cacheDirectory, modelDigest: d.model, preprocessingDigest: d.preprocessing)
            if views > 0 {
                viewsCache = FeatureCache(directory: cacheDirectory, modelDigest: d.model, preprocessingDigest: d.preprocessing, part: "views")
            }
            if given.contains(false), let cached = plainCache?.load() {
                for i in urls.indices where features[i] == nil {
                    guard let d = imageDigests[i], let row = cached[d], row.count == width else { continue }
                    features[i] = row
                    plainFromCache[i] = true
                }
            }
            if let cached = viewsCache?.load() {
                for i in urls.indices {
                    guard let d = imageDigests[i] else { continue }
                    for v in 1...views {
                        let key = Self.viewKey(imageDigest: d, augmentation: augmentationDigest, seed: seed, view: v)
                        if let row = cached[key], row.count == width { viewRows[i][v - 1] = row }
                    }
                }
            }
        }
        let fromCache = plainFromCache.filter { $0 }.count
        let viewsFromCache = viewRows.reduce(0) { $0 + $1.filter { $0 != nil }.count }

        // Work: (image, view) pairs still missing, grouped by image so each file is decoded once.
        var missing: [(index: Int, views: [Int])] = []
        for i in urls.indices where imageDigests[i] != nil {
            var wanted = features[i] == nil ? [0] : []
            if views > 0 { wanted += (1...views).filter { viewRows[i][$0 - 1] == nil } }
            if !wanted.isEmpty { missing.append((i, wanted)) }
        }
        var computed = 0, viewsComputed = 0
        if !missing.isEmpty {
            // The frozen backbone runs simplified (BatchNorm, pads and constants folded): the
            // same outputs (the Surgery tests check it), several times faster on Keras graphs.
            // The cache key stays the digest of the backbone as given.
            let plan = try Planner.compile((try? Simplifier.simplify(backbone).0) ?? backbone)
            let preprocessor = try ImagePreprocessor(preprocessing, decoder: decoder)
            let total = missing.reduce(0) { $0 + $1.views.count }
            let progress = progressLabel.map { ProgressLine($0, total: total) }
            progress?.update(0)
            var done = 0
            for chunkStart in stride(from: 0, to: missing.count, by: batchSize) {
                let chunk = Array(missing[chunkStart..<min(chunkStart + batchSize, missing.count)])
                let decoded = decode(chunk.map { urls[$0.index] })
                var items: [(index: Int, view: Int, image: RGBImage)] = []
                for (work, result) in zip(chunk, decoded) {
                    switch result {
                    case .success(let image):
                        for v in work.views { items.append((work.index, v, image)) }
                    case .failure(let error):
                        failures[work.index] = String(describing: error)
                        done += work.views.count
                    }
                }
                let images = augmented(items.map { ($0.image, $0.view, imageDigests[$0.index]!) },
                                       augmentation: augmentation, seed: seed)
                for batchStart in stride(from: 0, to: items.count, by: batchSize) {
                    let range = batchStart..<min(batchStart + batchSize, items.count)
                    let batch = feed(preprocessor.tensor(for: Array(images[range])))
                    guard let out = try plan.run([inputName: batch])[output], out.elementCount == range.count * width else {
                        throw TrainingError.featureShape(value: output, shape: "not \(range.count) × \(sampleShape) at run time")
                    }
                    let values = out.scalars
                    for (row, k) in range.enumerated() {
                        let item = items[k], f = Array(values[row * width..<(row + 1) * width])
                        let digest = imageDigests[item.index]!
                        if item.view == 0 {
                            features[item.index] = f
                            newPlain[digest] = f
                            computed += 1
                        } else {
                            viewRows[item.index][item.view - 1] = f
                            newViews[Self.viewKey(imageDigest: digest, augmentation: augmentationDigest, seed: seed, view: item.view)] = f
                            viewsComputed += 1
                        }
                    }
                    done += range.count
                    progress?.update(done)
                }
            }
            if done < total { progress?.update(total) }
            try plainCache?.merge(newPlain)
            try viewsCache?.merge(newViews)
        }
        // An image whose file cannot be read or decoded has no rows at all.
        for i in failures.keys {
            features[i] = nil
            if views > 0 { viewRows[i] = [] }
        }
        let failureList = failures.keys.sorted().map { (urls[$0].path, failures[$0]!) }
        let viewResult: [[[Float]]?] = views > 0
            ? viewRows.map { rows in rows.isEmpty || rows.contains(where: { $0 == nil }) ? nil : rows.map { $0! } }
            : []
        var result = Result(features: features, width: width, sampleShape: sampleShape, views: viewResult, failures: failureList,
                            fromCache: fromCache, computed: computed, seconds: Date().timeIntervalSince(start),
                            cacheFile: plainCache?.file)
        result.viewsFromCache = viewsFromCache
        result.viewsComputed = viewsComputed
        result.plainFromCache = plainFromCache
        result.viewsCacheFile = viewsCache?.file
        return result
    }

    /// The image of each work item: view 0 as decoded, view v ≥ 1 augmented with its own seed (in parallel).
    func augmented(_ items: [(image: RGBImage, view: Int, digest: String)], augmentation: Augmentation, seed: UInt64) -> [RGBImage] {
        guard items.contains(where: { $0.view > 0 }) else { return items.map(\.image) }
        let slots = UnsafeMutableBufferPointer<RGBImage?>.allocate(capacity: items.count)
        slots.initialize(repeating: nil)
        defer { slots.deallocate() }
        let box = SlotBox(slots)
        DispatchQueue.concurrentPerform(iterations: items.count) { k in
            let item = items[k]
            box.slots[k] = item.view == 0 ? item.image
                : augmentation.apply(to: item.image, seed: Self.viewSeed(seed: seed, imageDigest: item.digest, view: item.view))
        }
        return slots.map { $0! }
    }

    /// Decodes files in parallel; one result per file.
    func decode(_ urls: [URL]) -> [Swift.Result<RGBImage, ImageError>] {
        let slots = UnsafeMutableBufferPointer<Swift.Result<RGBImage, ImageError>?>.allocate(capacity: urls.count)
        slots.initialize(repeating: nil)
        defer { slots.deallocate() }
        let box = SlotBox(slots)
        let decoder = self.decoder
        DispatchQueue.concurrentPerform(iterations: urls.count) { i in
            do throws(ImageError) {
                box.slots[i] = .success(try decoder.decode(contentsOf: urls[i]))
            } catch {
                box.slots[i] = .failure(error)
            }
        }
        return slots.map { $0! }
    }

    /// `[N, 3, H, W]` → NHWC when the model wants it.
    func feed(_ nchw: Tensor) -> Tensor {
        guard channelsLast else { return nchw }
        return nchw.channelsLast()
    }
}

private struct SlotBox<T>: @unchecked Sendable {
    let slots: UnsafeMutableBufferPointer<T>
    init(_ slots: UnsafeMutableBufferPointer<T>) { self.slots = slots }
}
