import Foundation

/// A NumPy `.npy` array (format versions 1–3, C order, little-endian or byte-sized dtypes).
/// `scalars` holds every element converted to `Float`, row-major.
public struct NPYArray: Sendable {
    public var dtype: String
    public var shape: [Int]
    public var scalars: [Float]

    public struct FormatError: Error, CustomStringConvertible {
        public var path: String
        public var problem: String
        public var description: String { "\(path): not a readable .npy file: \(problem)" }
    }

    /// Reads `url`. Supports dtypes `u1`, `i1`, `u2`, `i4`, `i8`, `f4`, `f8`.
    public init(contentsOf url: URL) throws {
        let data = try Data(contentsOf: url)
        func fail(_ problem: String) -> FormatError { FormatError(path: url.path, problem: problem) }
        guard data.count >= 10, data.starts(with: [0x93] + Array("NUMPY".utf8)) else { throw fail("bad magic") }
        let major = data[data.startIndex + 6]
        let headerLengthSize = major == 1 ? 2 : 4
        let lengthBytes = data[(data.startIndex + 8)..<(data.startIndex + 8 + headerLengthSize)]
        let headerLength = lengthBytes.reversed().reduce(0) { $0 << 8 | Int($1) }
        let headerStart = data.startIndex + 8 + headerLengthSize
        guard headerStart + headerLength <= data.endIndex,
              let header = String(data: data[headerStart..<(headerStart + headerLength)], encoding: .utf8)
        else { throw fail("header out of range") }
        guard !header.contains("'fortran_order': True") else { throw fail("Fortran order") }

        func field(_ name: String, until end: Character) throws -> String {
            guard let key = header.range(of: "'\(name)': ") else { throw fail("no \(name)") }
            let rest = header[key.upperBound...]
            guard let stop = rest.dropFirst().firstIndex(of: end) else { throw fail("bad \(name)") }
            return String(rest[rest.startIndex...stop])
        }
        let dtype = try field("descr", until: "'").trimmingCharacters(in: CharacterSet(charactersIn: "'"))
        let shape = try field("shape", until: ")").trimmingCharacters(in: CharacterSet(charactersIn: "()"))
            .split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }

        let body = Data(data[(headerStart + headerLength)...])
        let count = shape.reduce(1, *)
        guard dtype.first != ">" else { throw fail("big-endian dtype \(dtype)") }
        func read<T>(_: T.Type, _ convert: (T) -> Float) throws -> [Float] {
            guard body.count == count * MemoryLayout<T>.size else { throw fail("\(body.count) data bytes for \(count) x \(dtype)") }
            return body.withUnsafeBytes { raw in (0..<count).map { convert(raw.loadUnaligned(fromByteOffset: $0 * MemoryLayout<T>.size, as: T.self)) } }
        }
        self.dtype = dtype
        self.shape = shape
        switch dtype.dropFirst() {
        case "u1": scalars = try read(UInt8.self) { Float($0) }
        case "i1": scalars = try read(Int8.self) { Float($0) }
        case "u2": scalars = try read(UInt16.self) { Float($0) }
        case "i4": scalars = try read(Int32.self) { Float($0) }
        case "i8": scalars = try read(Int64.self) { Float($0) }
        case "f4": scalars = try read(Float.self) { $0 }
        case "f8": scalars = try read(Double.self) { Float($0) }
        default: throw fail("unsupported dtype \(dtype)")
        }
    }
}
