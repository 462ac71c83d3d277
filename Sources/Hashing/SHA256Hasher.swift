import CCrypto

/// An incremental SHA-256 computation, backed by libcrypto's EVP interface.
///
/// The hasher is non-copyable: it owns one `EVP_MD_CTX`, which is freed when the hasher goes away.
/// It may be moved to another thread (it is `Sendable`), but it must be used by one thread at a time,
/// which ownership already guarantees for a non-copyable value.
///
/// Feed it large files in chunks with ``update(_:)-(UnsafeRawBufferPointer)``: the bytes are hashed in
/// place, never copied.
///
/// ```swift
/// var hasher = SHA256Hasher()
/// hasher.update(chunk)          // as many times as needed
/// let digest = hasher.finalize() // 32 bytes; the hasher starts over afterwards
/// ```
public struct SHA256Hasher: ~Copyable, @unchecked Sendable {
    /// The byte length of a SHA-256 digest.
    public static let digestByteCount = 32

    private let context: OpaquePointer

    /// Creates a hasher with no input yet.
    public init() {
        guard let context = EVP_MD_CTX_new() else {
            fatalError("EVP_MD_CTX_new failed: out of memory")
        }
        self.context = context
        Self.start(context)
    }

    deinit {
        EVP_MD_CTX_free(context)
    }

    /// Adds bytes to the message. The corresponding C function is `EVP_DigestUpdate`.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        guard EVP_DigestUpdate(context, base, bytes.count) == 1 else {
            fatalError("EVP_DigestUpdate failed")
        }
    }

    /// Adds bytes to the message.
    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    /// Returns the 32-byte digest of everything added so far, then resets the hasher to an empty message.
    /// The corresponding C function is `EVP_DigestFinal_ex`.
    public mutating func finalize() -> [UInt8] {
        let digest = [UInt8](unsafeUninitializedCapacity: Self.digestByteCount) { buffer, count in
            var length: UInt32 = 0
            guard EVP_DigestFinal_ex(context, buffer.baseAddress, &length) == 1,
                Int(length) == Self.digestByteCount
            else {
                fatalError("EVP_DigestFinal_ex failed")
            }
            count = Int(length)
        }
        Self.start(context)
        return digest
    }

    private static func start(_ context: OpaquePointer) {
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            fatalError("EVP_DigestInit_ex(SHA-256) failed")
        }
    }
}
