/// An open stored object (a LoRA, a job's video): reads come from S3 through an `ObjectReader`.
final class StoredObjectFile: OpenFile {
    private let reader: ObjectReader
    private let subject: String
    private let services: WorkspaceServices

    init(key: String, size: UInt64, subject: String, services: WorkspaceServices) {
        reader = ObjectReader(key: key, size: size, store: services.store, pool: services.downloads)
        self.subject = subject
        self.services = services
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FSError) -> Int {
        do { return try reader.read(at: offset, into: buffer) } catch {
            throw services.report(.failed(subject, .read, error))
        }
    }
}
