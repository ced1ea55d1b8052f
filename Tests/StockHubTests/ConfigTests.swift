import Foundation
@testable import Shared
import Testing

@Suite("Configuration")
struct ConfigTests {
    @Test func defaultsNeedNoConfigurationInDevelopment() throws {
        let settings = try Settings(environment: [:])
        #expect(settings.environment == .development)
        #expect(settings.port == 8080)
        #expect(settings.redis == RedisEndpoint(host: "127.0.0.1"))
        #expect(settings.storage == .file(URL(fileURLWithPath: ".data/artifacts").standardizedFileURL))
        #expect(settings.jwtSecret == nil)
        #expect(settings.accessTokenExpireMinutes == 1440)
    }

    @Test func modelsBucketSelectsS3WhenStorageURLIsUnset() throws {
        let settings = try Settings(environment: [
            "MODELS_BUCKET": "stockhub-models", "S3_ACCESS_KEY_ID": "AK", "S3_SECRET_ACCESS_KEY": "SK", "S3_REGION": "eu-west-1",
        ])
        guard case .s3(let s3) = settings.storage else { Issue.record("expected S3"); return }
        #expect(s3.bucket == "stockhub-models" && s3.region == "eu-west-1" && s3.addressing == .virtual)
        let prefixed = try Settings(environment: [
            "STORAGE_URL": "s3://b-1/team/prod", "S3_ENDPOINT": "http://127.0.0.1:9000", "S3_ACCESS_KEY_ID": "AK", "S3_SECRET_ACCESS_KEY": "SK",
        ])
        #expect(prefixed.storage == .s3(S3Settings(bucket: "b-1", prefix: "team/prod", endpoint: "http://127.0.0.1:9000", accessKeyID: "AK", secretAccessKey: "SK")))
    }

    @Test func productionDemandsSecretsAndRealServices() throws {
        let complete = [
            "APP_ENV": "production", "REDIS_URL": "redis://r:6379", "DATABASE_URL": "postgres://u:p@db:5432/app",
            "JWT_SECRET": String(repeating: "s", count: 32),
        ]
        _ = try Settings(environment: complete)
        for (name, value) in [("JWT_SECRET", nil), ("JWT_SECRET", "short"), ("REDIS_URL", nil), ("DATABASE_URL", nil)] as [(String, String?)] {
            var variables = complete
            variables[name] = value
            #expect(throws: ConfigError.self, "\(name)=\(value ?? "unset")") { try Settings(environment: variables) }
        }
    }

    /// Every variable with a bad value: the real executable exits 2 with one line naming it.
    static let badValues: [(variable: String, value: String, extra: [String: String], mentions: String)] = [
        ("APP_ENV", "staging", [:], "expected one of development|test|production"),
        ("PORT", "eighty", [:], "expected a whole number"),
        ("PORT", "70000", [:], "must be 0-65535"),
        ("LOG_LEVEL", "loud", [:], "expected one of"),
        ("REDIS_URL", "localhost", [:], "expected redis://[:password@]host:port[/db], got \"localhost\""),
        ("REDIS_URL", "redis://:hunter2@h:6379/x", [:], "database must be a number"),
        ("REDIS_POOL_SIZE", "0", [:], "must be 1-512"),
        ("DATABASE_URL", "mysql://u:hunter2@h/db", [:], "expected postgres://"),
        ("DATABASE_POOL_SIZE", "lots", [:], "expected a whole number"),
        ("JWT_SECRET", "short", ["APP_ENV": "production", "REDIS_URL": "redis://h:1", "DATABASE_URL": "postgres://h/db"], "at least 32 bytes"),
        ("JWT_SECRET", "", ["APP_ENV": "production", "REDIS_URL": "redis://h:1", "DATABASE_URL": "postgres://h/db"], "required in production"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "-5", [:], "must be 1-525600"),
        ("MODEL_VERSION", "v 1", [:], "expected 1-32 of"),
        ("JWT_ISSUER", "has space", [:], "expected 1-64 of"),
        ("BCRYPT_COST", "9", [:], "must be 10-16"),
        ("LOGIN_MAX_FAILURES", "0", [:], "must be 1-1000"),
        ("LOGIN_WINDOW_SECONDS", "forever", [:], "expected a whole number"),
        ("REGISTRATIONS_PER_HOUR", "-1", [:], "must be 1-100000"),
        ("TRUST_PROXY", "maybe", [:], "expected true or false"),
        ("ADMIN_API_KEY", "tiny", [:], "at least 16 characters"),
        ("CORS_ORIGINS", "example.com", [:], "expected comma-separated origins"),
        ("MAX_BODY_BYTES", "10", [:], "must be 1024-"),
        ("STORAGE_URL", "ftp://x", [:], "expected file:///absolute/path or s3://bucket[/prefix]"),
        ("STORAGE_URL", "s3://bucket/with space", [:], "the prefix after the bucket may use only"),
        ("MODELS_BUCKET", "Bad_Bucket", [:], "expected an S3 bucket name"),
        ("S3_ENDPOINT", "minio:9000", ["STORAGE_URL": "s3://bucket"], "expected http(s)://host[:port]"),
        ("S3_REGION", "Europe West", ["STORAGE_URL": "s3://bucket"], "expected a region name"),
        ("S3_ACCESS_KEY_ID", "", ["STORAGE_URL": "s3://bucket", "S3_SECRET_ACCESS_KEY": "x"], "required when storage is S3"),
        ("S3_SECRET_ACCESS_KEY", "", ["STORAGE_URL": "s3://bucket", "S3_ACCESS_KEY_ID": "x"], "required when storage is S3"),
        ("S3_ADDRESSING", "sideways", ["STORAGE_URL": "s3://bucket", "S3_ACCESS_KEY_ID": "x", "S3_SECRET_ACCESS_KEY": "y"], "expected path or virtual"),
        ("S3_DIALECT", "gcs", ["STORAGE_URL": "s3://bucket", "S3_ACCESS_KEY_ID": "x", "S3_SECRET_ACCESS_KEY": "y"], "expected aws"),
        ("ALERT_WEBHOOK_URL", "not a url", [:], "expected an http:// or https:// URL"),
        ("WORKER_CONCURRENCY", "0", [:], "must be 1-256"),
        ("WORKER_BATCH_SIZE", "0", [:], "must be 1-1024"),
        ("WORKER_SHUTDOWN_GRACE_SECONDS", "30", [:], "must be 0-20"),
        ("JOB_MAX_ATTEMPTS", "many", [:], "expected a whole number"),
        ("JOB_TIMEOUT_SECONDS", "0", [:], "must be 1-86400"),
        ("JOB_VISIBILITY_TIMEOUT_SECONDS", "1", [:], "must be 5-86400"),
        ("TRAIN_SYMBOLS", "AAPL,not a symbol", [:], "expected comma-separated symbols"),
        ("TRAIN_SCHEDULE", "weekly", [:], "expected a 5-field cron expression"),
    ]

    @Test(arguments: ["WebAPI", "Worker", "Trainer"])
    func everyBadValueStopsTheExecutableWithOneLineAndExitCode2(_ executable: String) async throws {
        let path = try BuiltProducts.path(executable)
        // Each executable reads the same settings; check them all on one, and a sample on the others.
        let cases = executable == "WebAPI" ? Self.badValues : Array(Self.badValues.prefix(5))
        for bad in cases {
            var environment = ["PATH": "/usr/bin:/bin"].merging(bad.extra) { $1 }
            environment[bad.variable] = bad.value
            let (status, output) = try await ChildProcess.run(path, environment: environment)
            let lines = output.split(separator: "\n")
            #expect(status == 2, "\(bad.variable)=\(bad.value): exit \(status), output: \(output)")
            #expect(lines.count == 1, "\(bad.variable): expected one line, got \(output)")
            #expect(output.hasPrefix("configuration error: \(bad.variable): "), "\(output)")
            #expect(output.contains(bad.mentions), "\(bad.variable): \(output)")
            #expect(!output.contains("hunter2"), "a password leaked: \(output)")
        }
    }
}
