import Dispatch
import Foundation
import GraphIR
import ImageData
import Runtime
import Surgery
import TensorCore

/// Runs a feature extractor (a graph whose only output is `[N, C]`) over image
/// files in batches, with the feature cache in front of it.
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
        /// One row per image, nil for an unreadable image.
        public var features: [[Float]?]
        public var width: Int
        /// Unreadable images: path and reason, in input order.
        public var failures: [(path: String, reason: String)]
        public var fromCache: Int
        public var computed: Int
        public var seconds: Double
        public var cacheFile: URL?
    }

    /// The digest the cache is keyed by for this backbone, and for the preprocessing.
    public var digests: (model: String, preprocessing: String) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let prep = (try? encoder.encode(preprocessing)).map { String(decoding: $0, as: UTF8.self) } ?? "\(preprocessing)"
        return (Digest.of(backbone), Digest.of(prep + (channelsLast ? " nhwc" : " nchw")))
    }

    /// Features for every image; `cacheDirectory: nil` disables the cache; `progressLabel: nil` shows no progress.
    public func extract(_ urls: [URL], cacheDirectory: URL?, progressLabel: String? = "features") throws -> Result {
        let start = Date()
        guard let output = backbone.outputs.first, backbone.outputs.count == 1,
              let shape = backbone.type(of: output)?.shape, shape.rank == 2, let width = shape.dims[1].value else {
            let out = backbone.outputs.first ?? "?"
            throw TrainingError.featureShape(value: out, shape: backbone.type(of: out)?.shape.description ?? "unknown")
        }
        var imageDigests: [String?] = []
        var failures: [Int: String] = [:]
        for (i, url) in urls.enumerated() {
            do { imageDigests.append(try Digest.ofFile(url)) } catch {
                imageDigests.append(nil)
                failures[i] = "cannot read the file"
            }
        }
        var cache: FeatureCache?
        var cached: [String: [Float]] = [:]
        if let cacheDirectory {
            let d = digests
            cache = FeatureCache(directory: cacheDirectory, modelDigest: d.model, preprocessingDigest: d.preprocessing)
            cached = cache!.load().filter { $0.value.count == width }
        }
        var features = [[Float]?](repeating: nil, count: urls.count)
        var missing: [Int] = []
        for i in urls.indices {
            guard let d = imageDigests[i] else { continue }
            if let row = cached[d] { features[i] = row } else { missing.append(i) }
        }
        let fromCache = urls.count - missing.count - failures.count
        if !missing.isEmpty {
            // The frozen backbone runs simplified (BatchNorm, pads and constants folded): the
            // same outputs (the Surgery tests check it), several times faster on Keras graphs.
            // The cache key stays the digest of the backbone as given.
            let plan = try Planner.compile((try? Simplifier.simplify(backbone).0) ?? backbone)
            let preprocessor = try ImagePreprocessor(preprocessing, decoder: decoder)
            let progress = progressLabel.map { ProgressLine($0, total: missing.count) }
            progress?.update(0)
            var done = 0
            for chunkStart in stride(from: 0, to: missing.count, by: batchSize) {
                let chunk = Array(missing[chunkStart..<min(chunkStart + batchSize, missing.count)])
                let decoded = decode(chunk.map { urls[$0] })
                var good: [(index: Int, image: RGBImage)] = []
                for (i, result) in zip(chunk, decoded) {
                    switch result {
                    case .success(let image): good.append((i, image))
                    case .failure(let error): failures[i] = String(describing: error)
                    }
                }
                if !good.isEmpty {
                    let batch = feed(preprocessor.tensor(for: good.map(\.image)))
                    guard let out = try plan.run([inputName: batch])[output] else { break }
                    let values = out.scalars
                    for (row, item) in good.enumerated() {
                        let f = Array(values[row * width..<(row + 1) * width])
                        features[item.index] = f
                        cached[imageDigests[item.index]!] = f
                    }
                }
                done += chunk.count
                progress?.update(done)
            }
            if let cache { try cache.store(cached) }
        }
        let failureList = failures.keys.sorted().map { (urls[$0].path, failures[$0]!) }
        return Result(features: features, width: width, failures: failureList, fromCache: fromCache,
                      computed: missing.filter { features[$0] != nil }.count,
                      seconds: Date().timeIntervalSince(start), cacheFile: cache?.file)
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
