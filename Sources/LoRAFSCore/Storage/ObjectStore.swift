/// The object-store operations the filesystem needs. `S3ObjectStore` is the real
/// one; tests can put a fault-injecting store in its place.
///
/// Calls block the calling thread (a FUSE worker or a transfer thread), never a
/// thread of Swift's cooperative pool.
public protocol ObjectStore: Sendable {
    func putObject(key: String, body: [UInt8], metadata: [String: String], contentSHA256: [UInt8]) throws
    /// A PUT with `If-None-Match: *`: returns false, storing nothing, if the key already exists (412).
    func putObjectIfAbsent(key: String, body: [UInt8]) throws -> Bool
    func createMultipartUpload(key: String, metadata: [String: String]) throws -> String
    func uploadPart(key: String, uploadID: String, partNumber: Int, body: UnsafeRawBufferPointer) throws -> String
    func completeMultipartUpload(key: String, uploadID: String, parts: [(number: Int, etag: String)]) throws
    func abortMultipartUpload(key: String, uploadID: String) throws
    func listMultipartUploads(prefix: String) throws -> [(key: String, uploadID: String)]
    func getObject(key: String, range: Range<UInt64>) throws -> [UInt8]
    /// The bytes `range` into `buffer` (at least `range.count` long); how many arrived.
    func getObject(key: String, range: Range<UInt64>, into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    func deleteObject(key: String) throws
    /// A presigned GET URL (SigV4 query signing) valid for `seconds`.
    func presignedGetURL(key: String, expiresIn seconds: Int) throws -> String
    /// `s3://bucket/key`.
    func uri(of key: String) -> String
    /// Every object under `prefix`: key and size.
    func listObjects(prefix: String) throws -> [(key: String, size: UInt64)]
    /// The objects under `prefix` whose keys sort after `startAfter`, in key order.
    func listObjects(prefix: String, startAfter: String) throws -> [(key: String, size: UInt64)]
    /// An object's user metadata (without the `x-amz-meta-` prefix), nil if it does not exist.
    func metadata(of key: String) throws -> [String: String]?
}

extension ObjectStore {
    /// Through the array form, for stores without a buffer path of their own.
    public func getObject(key: String, range: Range<UInt64>, into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let bytes = try getObject(key: key, range: range)
        let count = min(bytes.count, buffer.count)
        guard count > 0 else { return 0 }
        bytes.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress!, byteCount: count) }
        return count
    }
}
