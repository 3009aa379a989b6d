import CHDF5

/// Owns one HDF5 identifier and closes it exactly once, when the last
/// reference goes away. `close` is the matching `H5?close` function.
final class HDF5Handle: @unchecked Sendable {
    let id: hid_t
    private let close: (hid_t) -> herr_t

    init(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.close = close
    }

    deinit { _ = close(id) }
}
