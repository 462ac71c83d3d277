// Until SpoolFile moves onto Platform's SystemError: the spool's errno, as a cause.
struct LegacySpoolError: Error, CustomStringConvertible {
    let errno: Int32
    let description: String
}

extension FSError {
    init(_ errno: Int32, _ reason: String) {
        self.init(.failed("spool", .spool, cause: LegacySpoolError(errno: errno, description: reason)))
    }
}
