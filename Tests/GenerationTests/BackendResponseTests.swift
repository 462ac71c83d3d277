import Testing
@testable import Generation

@Suite struct BackendResponseTests {
    func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    @Test func runPodSubmission() throws {
        #expect(try RunPodResponse.submitted(bytes(#"{"id": "abc-123", "status": "IN_QUEUE"}"#)) == "abc-123")
        #expect(throws: BackendResponseError.self) { try RunPodResponse.submitted(self.bytes(#"{"error": "bad input"}"#)) }
        #expect(throws: BackendResponseError.self) { try RunPodResponse.submitted(self.bytes("<html>502</html>")) }
    }

    @Test(arguments: [
        (#"{"id": "a", "status": "IN_QUEUE"}"#, BackendState.queued),
        (#"{"id": "a", "status": "IN_PROGRESS", "delayTime": 10}"#, .running),
        (#"{"id": "a", "status": "CANCELLED"}"#, .cancelled),
    ])
    func runPodStates(body: String, state: BackendState) throws {
        let status = try RunPodResponse.status(bytes(body))
        #expect(status == BackendStatus(state: state))
    }

    @Test(arguments: [
        (#"{"video_url": "https://cdn.test/v.mp4"}"#, VideoOutput.url("https://cdn.test/v.mp4")),
        (#"{"video": {"url": "https://cdn.test/v.mp4", "content_type": "video/mp4"}}"#, .url("https://cdn.test/v.mp4")),
        (#"{"url": "https://cdn.test/v.mp4"}"#, .url("https://cdn.test/v.mp4")),
        (#"{"video": "AAAAIGZ0eXBpc29t"}"#, .base64("AAAAIGZ0eXBpc29t")),
        (#"{"video": "data:video/mp4;base64,AAAAIGZ0eXBpc29t"}"#, .base64("AAAAIGZ0eXBpc29t")),
        (#"{"video": "https://cdn.test/v.mp4"}"#, .url("https://cdn.test/v.mp4")),
        (#""https://cdn.test/v.mp4""#, .url("https://cdn.test/v.mp4")),
        (#"[{"video_url": "https://cdn.test/v.mp4"}]"#, .url("https://cdn.test/v.mp4")),
    ])
    func runPodCompletedOutputShapes(output: String, video: VideoOutput) throws {
        let status = try RunPodResponse.status(bytes(#"{"id": "a", "status": "COMPLETED", "output": \#(output)}"#))
        #expect(status == BackendStatus(state: .completed, video: video))
    }

    @Test func runPodCompletedWithoutVideoIsAFailure() throws {
        let none = try RunPodResponse.status(bytes(#"{"id": "a", "status": "COMPLETED", "output": {"seed": 1}}"#))
        #expect(none.state == .failed && none.error?.contains("output.video_url") == true)
        let withError = try RunPodResponse.status(bytes(#"{"id": "a", "status": "COMPLETED", "output": {"error": "sha256 mismatch for x"}}"#))
        #expect(withError == BackendStatus(state: .failed, error: "sha256 mismatch for x"))
    }

    @Test func runPodFailures() throws {
        let plain = try RunPodResponse.status(bytes(#"{"id": "a", "status": "FAILED", "error": "CUDA out of memory"}"#))
        #expect(plain == BackendStatus(state: .failed, error: "CUDA out of memory"))
        let object = try RunPodResponse.status(bytes(#"{"id": "a", "status": "FAILED", "error": {"message": "worker crashed"}}"#))
        #expect(object.error == "worker crashed")
        let encoded = try RunPodResponse.status(
            bytes(#"{"id": "a", "status": "FAILED", "error": "{\"error_type\": \"ValueError\", \"error_message\": \"bad lora\"}"}"#))
        #expect(encoded.error == "ValueError: bad lora")
        let timedOut = try RunPodResponse.status(bytes(#"{"id": "a", "status": "TIMED_OUT"}"#))
        #expect(timedOut.state == .failed && timedOut.error?.contains("timed out") == true)
        let bare = try RunPodResponse.status(bytes(#"{"id": "a", "status": "FAILED"}"#))
        #expect(bare.state == .failed && bare.error != nil)
    }

    @Test func runPodUnknownStatus() {
        #expect(throws: BackendResponseError("RunPod reported an unknown status \"PAUSED\"")) {
            try RunPodResponse.status(self.bytes(#"{"status": "PAUSED"}"#))
        }
        #expect(throws: BackendResponseError.self) { try RunPodResponse.status(self.bytes(#"{"id": "a"}"#)) }
        #expect(throws: BackendResponseError.self) { try RunPodResponse.status(self.bytes("[]")) }
    }

    @Test func falSubmission() throws {
        let answer = try FalResponse.submitted(
            bytes(
                #"{"request_id": "r1", "status_url": "https://queue.fal.run/fal-ai/wan/requests/r1/status", "response_url": "https://queue.fal.run/fal-ai/wan/requests/r1", "cancel_url": "https://queue.fal.run/fal-ai/wan/requests/r1/cancel", "queue_position": 0}"#
            ))
        #expect(answer.requestID == "r1")
        #expect(answer.statusURL.hasSuffix("/r1/status") && answer.responseURL.hasSuffix("/r1") && answer.cancelURL.hasSuffix("/cancel"))
        #expect(throws: BackendResponseError.self) { try FalResponse.submitted(self.bytes(#"{"request_id": "r1"}"#)) }
        let refusal = #expect(throws: BackendResponseError.self) {
            try FalResponse.submitted(self.bytes(#"{"detail": "Unauthorized"}"#))
        }
        #expect(refusal?.reason.contains("Unauthorized") == true)
    }

    @Test func falStates() throws {
        #expect(try FalResponse.status(bytes(#"{"status": "IN_QUEUE", "queue_position": 3}"#)) == .queued)
        #expect(try FalResponse.status(bytes(#"{"status": "IN_PROGRESS", "logs": []}"#)) == .running)
        #expect(try FalResponse.status(bytes(#"{"status": "COMPLETED"}"#)) == .completed)
        #expect(throws: BackendResponseError.self) { try FalResponse.status(self.bytes(#"{"status": "WEIRD"}"#)) }
    }

    @Test func falResultAndErrors() throws {
        let video = try FalResponse.result(
            bytes(#"{"video": {"url": "https://v3.fal.media/files/x.mp4", "content_type": "video/mp4", "file_size": 12}, "seed": 7, "prompt": "p"}"#))
        #expect(video == .url("https://v3.fal.media/files/x.mp4"))
        let validation = #"{"detail": [{"loc": ["body", "loras", 0, "path"], "msg": "could not download", "type": "value_error"}]}"#
        #expect(FalResponse.errorMessage(bytes(validation)) == "body.loras.0.path: could not download")
        #expect(throws: BackendResponseError("fal: body.loras.0.path: could not download")) { try FalResponse.result(self.bytes(validation)) }
        #expect(FalResponse.errorMessage(bytes(#"{"detail": "Internal error"}"#)) == "Internal error")
        #expect(FalResponse.errorMessage(bytes("not json")) == nil)
        #expect(throws: BackendResponseError.self) { try FalResponse.result(self.bytes(#"{"seed": 1}"#)) }
    }
}
