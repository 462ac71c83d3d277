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

    /// Creates a policy.
    public init(maximumAttempts: Int = 4, baseDelay: Double = 0.1, maximumDelay: Double = 5) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.baseDelay = baseDelay
        self.maximumDelay = maximumDelay
    }

    /// Four attempts, 100 ms base.
    public static let standard = S3RetryPolicy()

    /// One attempt, no retry.
    public static let none = S3RetryPolicy(maximumAttempts: 1)

    /// The pause before attempt `attempt + 1` (attempt counts from 1): half fixed, half random.
    func delay(afterAttempt attempt: Int) -> Double {
        let ceiling = min(maximumDelay, baseDelay * pow(2, Double(attempt - 1)))
        return ceiling / 2 + Double.random(in: 0...(ceiling / 2))
    }
}
