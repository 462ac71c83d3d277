/// An open stored object (a LoRA, a job's video): reads come from S3 through an `ObjectReader`.
final class StoredObjectFile: OpenFile {
    private let reader: ObjectReader
    private let subject: String
    private let services: WorkspaceServices

    /// Opened for writing without O_TRUNC (`touch`, an append): the open succeeds,
    /// a write fails with this.
    private let writeRefusal: FSError.Failure?
    /// What `fstat` on the descriptor shows: the file as it was opened, even once its
    /// name is gone (removed here, or by another mount and then refreshed away).
    let attributes: FileAttributes?

    init(key: String, size: UInt64, subject: String, services: WorkspaceServices, writeRefusal: FSError.Failure? = nil,
         attributes: FileAttributes? = nil) {
        self.attributes = attributes
        reader = ObjectReader(key: key, size: size, store: services.store, pool: services.downloads,
                              buffers: services.readBuffers)
        self.subject = subject
        self.services = services
        self.writeRefusal = writeRefusal
    }

    func write(at offset: UInt64, bytes: UnsafeRawBufferPointer) throws(FSError) -> Int {
        throw services.report(FSError(writeRefusal ?? .notOpenForWriting))
    }

    func read(at offset: UInt64, into buffer: UnsafeMutableRawBufferPointer) throws(FSError) -> Int {
        do { return try reader.read(at: offset, into: buffer) } catch {
            throw services.report(.failed(subject, .read, error))
        }
    }
}
