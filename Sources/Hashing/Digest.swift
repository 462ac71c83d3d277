import CCrypto

/// One-shot digests and message authentication codes (libcrypto).
public enum Digest {
    /// The SHA-256 digest (32 bytes) of `bytes`, hashed in place.
    public static func sha256(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hasher = SHA256Hasher()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The SHA-256 digest (32 bytes) of `bytes`. Contiguous collections (`[UInt8]`, `Data`, slices) are
    /// hashed in place; others are copied once.
    public static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
        if let digest = bytes.withContiguousStorageIfAvailable({ sha256(UnsafeRawBufferPointer($0)) }) {
            return digest
        }
        return Array(bytes).withUnsafeBytes { sha256($0) }
    }

    /// HMAC-SHA256 (RFC 2104) of `data` under `key`: 32 bytes. The corresponding C function is `HMAC`.
    public static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        key.withUnsafeBytes { key in
            data.withUnsafeBytes { data in hmacSHA256(key: key, data: data) }
        }
    }

    /// HMAC-SHA256 of `data` under `key`, both given as raw memory.
    public static func hmacSHA256(key: UnsafeRawBufferPointer, data: UnsafeRawBufferPointer) -> [UInt8] {
        // libcrypto wants non-null pointers even for empty input.
        var empty: UInt8 = 0
        return withUnsafeMutablePointer(to: &empty) { emptyPointer in
            [UInt8](unsafeUninitializedCapacity: Int(EVP_MAX_MD_SIZE)) { buffer, count in
                var length: UInt32 = 0
                let result = HMAC(
                    EVP_sha256(),
                    key.baseAddress ?? UnsafeRawPointer(emptyPointer), Int32(key.count),
                    data.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(emptyPointer), data.count,
                    buffer.baseAddress, &length)
                guard result != nil else { fatalError("HMAC(SHA-256) failed") }
                count = Int(length)
            }
        }
    }
}
