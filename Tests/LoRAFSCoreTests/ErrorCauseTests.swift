import Foundation
import Catalog
import Glibc
import Platform
import S3
import Testing
@testable import LoRAFSCore

/// Causes from below keep their detail, and the errno is chosen from them in one table.
@Suite("errors keep their cause")
struct ErrorCauseTests {
    @Test func aCopyTheBucketRefusesFailsCloseWithEACCESNamingTheCodeAndRequestID() throws {
        let fixture = try Fixture(partSize: 1 << 20)
        let refusal = S3Error(status: 403, code: "AccessDenied", message: "Access Denied", requestID: "REQ123",
                              operation: "PutObject", key: "workspaces/test/loras/x.safetensors")
        fixture.store.fail(.put, with: refusal)
        let error = try #require(throwing { try fixture.copy(TestLoRA.safetensors(), to: "denied.safetensors") })
        #expect(error.errno == EACCES)
        #expect(fixture.store.injected(.put) == 1)
        #expect(error.reason.hasPrefix("denied.safetensors: upload to S3 failed: the bucket refused the credentials: AccessDenied"))
        #expect(error.reason.contains("request id REQ123"))
        guard case .failed(_, .upload, let cause as S3Error) = error.failure else {
            Issue.record("the S3 error is not kept as the cause: \(error.failure)")
            return
        }
        #expect(cause.requestID == "REQ123")
        #expect(fixture.fs.lastError?.hasSuffix("(EACCES)") == true)
        #expect(try fixture.catalog.allLoRAs().isEmpty)
    }

    @Test func aSpecRefusalIsEINVALNamingTheField() throws {
        let refused = FSError(.spec("generate/a.json", .init(field: "frames", reason: "must be 4n+1")))
        #expect(refused.errno == EINVAL)
        #expect(refused.reason == "generate/a.json: frames: must be 4n+1")
    }

    @Test func aFullDiskIsENOSPCWhetherTheSpoolOrTheCatalogSaysSo() {
        let spool = FSError(.failed("big.safetensors", .spool, cause: SystemError(errno: ENOSPC, call: "pwrite")))
        #expect(spool.errno == ENOSPC)
        #expect(spool.reason.hasPrefix("big.safetensors: the local spool failed: pwrite"))
        let catalog = FSError(.failed("a.safetensors", .record,
                                      cause: CatalogError.noSpace(operation: "upsert", message: "database or disk is full")))
        #expect(catalog.errno == ENOSPC)
        #expect(catalog.reason == "a.safetensors: recording the upload failed: catalog upsert failed, its disk is full: database or disk is full")
    }

    @Test func catalogFailuresMapByWhatTheyMeanNotByAnEngine_sCodes() {
        func errno(_ cause: CatalogError) -> Int32 { FSError(.failed("a.safetensors", .rename, cause: cause)).errno }
        #expect(errno(.busy(operation: "rename", message: "database is locked")) == EBUSY)
        #expect(errno(.readOnly(operation: "rename", message: "attempt to write a readonly database")) == EROFS)
        #expect(errno(.conflict(name: "a.safetensors", expected: "k1", found: "k2")) == EBUSY)
        // A PostgreSQL SQLSTATE packed into an integer whose low byte happens to be
        // SQLite's FULL (13) or BUSY (5) is just an engine failure: EIO.
        for code: Int32 in [13, 5, 8, 0x0D0D, 0x4005] {
            #expect(errno(.engine(operation: "rename", code: code, message: "other")) == EIO)
        }
    }

    @Test func aCloseWhoseUploadStopsMovingFailsAfterTheStallTimeoutNotLater() throws {
        let fixture = try Fixture(partSize: 1024, s3Timeout: 0.5)
        fixture.store.hang(.part)
        defer { fixture.store.hang(.part, false) }
        let started = Date()
        let error = try #require(throwing { try fixture.copy(TestLoRA.safetensors(dataBytes: 8000), to: "stuck.safetensors") })
        let took = Date().timeIntervalSince(started)
        #expect(error.errno == EIO)
        #expect(error.reason == "stuck.safetensors: upload to S3 failed: S3 did not answer for 0.5 s")
        #expect(took < 3, "close() took \(took) s with a 0.5 s stall timeout")
        #expect(try fixture.catalog.allLoRAs().isEmpty)
    }

    @Test func aFailedAbortIsRetriedInTheBackgroundUntilTheUploadIsGone() throws {
        let fixture = try Fixture()
        fixture.store.fail(.complete)
        fixture.store.fail(.abort)
        #expect(throwing { try fixture.copy(TestLoRA.safetensors(dataBytes: 10_000), to: "x.safetensors") }?.errno == EIO)
        let first = Date().addingTimeInterval(3)
        while fixture.store.failedAborts == 0, Date() < first { usleep(10_000) }
        #expect(fixture.store.failedAborts >= 1)
        #expect(fixture.store.openUploads == 1)
        fixture.store.fail(.abort, false)
        let deadline = Date().addingTimeInterval(6)
        while fixture.store.openUploads > 0, Date() < deadline { usleep(20_000) }
        #expect(fixture.store.openUploads == 0, "the abort was not retried")
    }

    private func throwing(_ body: () throws -> Void) -> FSError? {
        do { try body() } catch let error as FSError { return error } catch { Issue.record("not an FSError: \(error)") }
        return nil
    }
}
