import Foundation

/// How often and how patiently failed requests are tried again.
///
/// Transport failures, HTTP 408, 429, 500, 502, 503, 504 and throttling codes (`SlowDown`) are retried with
/// exponential back-off and jitter; other 4xx answers are final. Every attempt is signed anew.
public struct S3RetryPolicy: Sendable {
    /// Attempts in all, including the first.
    public var maximumAttempts: Int
    /// The first back-off; it doubles with each attempt.
    public var baseDelay: Double
    /// The longest back-off.
    public var maximumDelay: Double
    /// How long one operation may take in all, attempts and pauses included: no
    /// retry starts that could not finish in time, and each request's own total
    /// timeout is what is left of it.
    public var deadline: Double
    /// A request that moves no byte for this long is abandoned (then retried, if
    /// time is left): a server that accepted the connection and stopped answering.
    public var noProgressTimeout: Double
    /// How long a connection may take to open.
    public var connectTimeout: Double

    /// Creates a policy.
    public init(maximumAttempts: Int = 6, baseDelay: Double = 0.1, maximumDelay: Double = 5, deadline: Double = 120,
                noProgressTimeout: Double? = nil, connectTimeout: Double? = nil) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
        self.deadline = max(1, deadline)
        self.noProgressTimeout = max(1, noProgressTimeout ?? min(60, self.deadline / 2))
        self.connectTimeout = max(1, connectTimeout ?? min(10, self.deadline / 4))
    }

    /// Six attempts, 100 ms base, 120 s per operation, 60 s without progress, 10 s to connect.
    public static let standard = S3RetryPolicy()

    /// One attempt, no retry.
    public static let none = S3RetryPolicy(maximumAttempts: 1)

    /// The pause before attempt `attempt + 1` (attempt counts from 1): half fixed, half random.
    func delay(afterAttempt attempt: Int) -> Double {
        let ceiling = min(maximumDelay, baseDelay * pow(2, Double(attempt - 1)))
        return ceiling / 2 + Double.random(in: 0...(ceiling / 2))
    }
}
