import GraphIR
import ImageData
import Testing

/// The `--preprocess` option string: presets, overrides, and one clear error per mistake.
struct PreprocessingOptionTests {
    @Test func explicitKeys() throws {
        let p = try Preprocessing(option: "size=224,mean=127,std=128,order=rgb")
        #expect(p == Preprocessing(size: [224, 224], mean: [127, 127, 127], std: [128, 128, 128]))
    }

    @Test(arguments: PreprocessingPreset.allCases)
    func presetNamesParse(_ preset: PreprocessingPreset) throws {
        #expect(try Preprocessing(option: preset.rawValue) == preset.preprocessing)
        #expect(try Preprocessing(option: "preset=\(preset.rawValue)") == preset.preprocessing)
    }

    @Test func presetWithOverrides() throws {
        let p = try Preprocessing(option: "keras-mobilenet-v2, size=160")
        #expect(p.size == [160, 160] && p.mean == [127.5, 127.5, 127.5])
        let q = try Preprocessing(option: "size=256x192,resize=shorter:300,antialias=no,order=bgr,mean=1/2/3,layout=nhwc")
        #expect(q.size == [256, 192] && q.resize == .shorterSideThenCrop(shorterSide: 300) && !q.antialias)
        #expect(q.channelOrder == .bgr && q.mean == [1, 2, 3] && q.std == [1, 1, 1] && q.layout == .nhwc)
        #expect(try Preprocessing(option: "size=224,resize=256x256").resize == .stretchThenCrop(height: 256, width: 256))
    }

    @Test(arguments: [
        ("mobilenet", "unknownPreset"),
        ("size=224,colour=rgb", "unknownKey"),
        ("size=0", "badValue"),
        ("size=224x", "badValue"),
        ("size=224,mean=1/2", "badValue"),
        ("size=224,std=abc", "badValue"),
        ("size=224,order=rbg", "badValue"),
        ("size=224,resize=shorter:", "badValue"),
        ("size=224,antialias=maybe", "badValue"),
        ("size=224,efficientnet-lite", "badValue"),
        ("size=224,size=256", "duplicateKey"),
        ("mean=127,std=128", "missingSize"),
        ("", "missingSize"),
        ("size=224,std=0", "invalid"),
        ("size=224,resize=shorter:200", "invalid"),
        ("size=224,resize=256x200", "invalid"),
    ])
    func mistakesGiveTheRightError(_ option: String, _ expectedCase: String) {
        do {
            _ = try Preprocessing(option: option)
            Issue.record("'\(option)' parsed")
        } catch {
            let label = "\(error)"
            #expect(String(describing: Mirror(reflecting: error).children.first?.label ?? "") == expectedCase,
                    "'\(option)': \(label)")
            #expect(!label.isEmpty)
        }
    }

    @Test func invalidMetadataIsRefusedByThePreprocessor() {
        #expect(throws: PreprocessingError.self) {
            try ImagePreprocessor(Preprocessing(size: [224], mean: [0], std: [1]))
        }
    }

    @Test func codableRoundTripAndOldJSON() throws {
        let p = PreprocessingPreset.openNSFW.preprocessing
        let json = try JSONEncoder().encode(p)
        #expect(try JSONDecoder().decode(Preprocessing.self, from: json) == p)
        let old = #"{"size":[224,224],"channelOrder":"rgb","layout":"nchw","mean":[0],"std":[1]}"#
        let decoded = try JSONDecoder().decode(Preprocessing.self, from: Data(old.utf8))
        #expect(decoded.resize == .stretch && decoded.antialias)
    }
}

import Foundation
