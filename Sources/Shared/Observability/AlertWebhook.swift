import Foundation
import Logging

/// Posts a JSON alert to `ALERT_WEBHOOK_URL` (Slack-style incoming webhooks accept it as is
/// thanks to the `text` field). Best effort: a failed alert is logged, never thrown.
public struct AlertWebhook: Sendable {
    let url: String
    let http: HTTPClient

    public init(url: String, http: HTTPClient) {
        self.url = url
        self.http = http
    }

    public func send(event: String, text: String, fields: [String: String], logger: Logger) async {
        var body = fields
        body["event"] = event
        body["text"] = text
        do {
            let json = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            var request = HTTPClientRequest(method: "POST", url: url, headers: [HTTPHeader("Content-Type", "application/json")], body: Array(json))
            request.timeout = .seconds(10)
            let response = try await http.send(request, retry: RetryPolicy(maxAttempts: 3))
            if !(200...299).contains(response.status) {
                logger.warning("alert webhook answered \(response.status)", metadata: ["event": "\(event)"])
            }
        } catch {
            logger.warning("alert webhook failed: \(error)", metadata: ["event": "\(event)"])
        }
    }
}
