import Foundation
import Shared

/// A small W3C WebDriver client: JSON over HTTP to a chromedriver this test starts on a free
/// port, driving a headless Chromium. Only the commands the dashboard test needs.
final class WebDriver: @unchecked Sendable {
    let driver: ChildProcess
    let base: String
    let sessionID: String
    private let http: HTTPClient

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// W3C's key for an element reference in JSON.
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    /// Starts chromedriver and a headless Chromium session with the browser's console log kept.
    /// `--no-sandbox`: the tests run as root, where Chromium's sandbox cannot start.
    static func start(chromedriver: String = "/usr/bin/chromedriver", chromium: String = "/usr/bin/chromium") async throws -> WebDriver {
        let port = try freePort()
        let driver = try ChildProcess(chromedriver, ["--port=\(port)"], environment: ProcessInfo.processInfo.environment)
        let base = "http://127.0.0.1:\(port)"
        // Generous: Chromium's first start on a loaded machine takes seconds.
        let http = HTTPClient(settings: HTTPClientSettings(connectTimeout: .seconds(5), timeout: .seconds(120), retry: .none))
        try await waitFor("chromedriver on port \(port) to answer /status (output: \(driver.output))", every: .milliseconds(100)) {
            guard driver.isRunning else { throw Failure(description: "chromedriver exited: \(driver.output)") }
            return (try? await http.send(HTTPClientRequest(url: "\(base)/status")))?.status == 200
        }
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": [
            "browserName": "chrome",
            "goog:loggingPrefs": ["browser": "ALL"],
            "goog:chromeOptions": [
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                         "--window-size=1280,900", "--hide-scrollbars", "--no-first-run", "--disable-extensions"],
            ],
        ]]]
        let answer = try await Self.call(http, "POST", "\(base)/session", capabilities)
        guard let id = answer["sessionId"]?.text else { throw Failure(description: "no session id in \(answer)") }
        return WebDriver(http: http, driver: driver, base: base, sessionID: id)
    }

    private init(http: HTTPClient, driver: ChildProcess, base: String, sessionID: String) {
        self.http = http
        self.driver = driver
        self.base = base
        self.sessionID = sessionID
    }

    /// Sends a command; returns its `value`, or throws the WebDriver error it names.
    private static func call(_ http: HTTPClient, _ method: String, _ url: String, _ body: [String: Any]? = nil) async throws -> JSONValue {
        var request = HTTPClientRequest(method: method, url: url)
        if let body {
            request.body = Array(try JSONSerialization.data(withJSONObject: body))
            request.headers = [HTTPHeader("Content-Type", "application/json; charset=utf-8")]
        }
        let response = try await http.send(request)
        let json = try JSONDecoder().decode(JSONValue.self, from: Data(response.body))
        let value = json["value"] ?? .null
        if response.status != 200 {
            throw Failure(description: "\(method) \(url): \(response.status) \(value["error"]?.text ?? "") \(value["message"]?.text?.prefix(500) ?? "")")
        }
        return value
    }

    @discardableResult
    func command(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> JSONValue {
        try await Self.call(http, method, "\(base)/session/\(sessionID)\(path)", method == "POST" ? (body ?? [:]) : nil)
    }

    func navigate(_ url: String) async throws { try await command("POST", "/url", ["url": url]) }

    func resize(width: Int, height: Int) async throws { try await command("POST", "/window/rect", ["width": width, "height": height]) }

    /// The first element matching `css`, or nil.
    func find(_ css: String) async throws -> String? {
        let found = try await command("POST", "/elements", ["using": "css selector", "value": css])
        return found.items.first?[Self.elementKey]?.text
    }

    /// Waits for an element matching `css` (the page renders asynchronously).
    func element(_ css: String, within limit: Duration = Patience.generous) async throws -> String {
        try await waitForValue("an element matching \(css)", within: limit, every: .milliseconds(100)) { try await find(css) }
    }

    func click(_ element: String) async throws { try await command("POST", "/element/\(element)/click") }

    func type(_ element: String, _ text: String) async throws {
        try await command("POST", "/element/\(element)/clear")
        try await command("POST", "/element/\(element)/value", ["text": text])
    }

    func text(_ element: String) async throws -> String { try await command("GET", "/element/\(element)/text").text ?? "" }

    func attribute(_ element: String, _ name: String) async throws -> String? {
        try await command("GET", "/element/\(element)/attribute/\(name)").text
    }

    /// Runs `script` in the page (WebDriver's script evaluation is not subject to the page's CSP).
    func execute(_ script: String, _ arguments: [Any] = []) async throws -> JSONValue {
        try await command("POST", "/execute/sync", ["script": script, "args": arguments])
    }

    /// The current page as PNG bytes.
    func screenshot() async throws -> Data {
        guard let base64 = try await command("GET", "/screenshot").text, let png = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot")
        }
        return png
    }

    /// The browser console's entries since the last call (chromedriver's legacy log endpoint).
    func browserLog() async throws -> [(level: String, source: String, message: String)] {
        try await command("POST", "/se/log", ["type": "browser"]).items.map {
            ($0["level"]?.text ?? "", $0["source"]?.text ?? "", $0["message"]?.text ?? "")
        }
    }

    func quit() async {
        _ = try? await command("DELETE", "")
        driver.signal(SIGTERM)
        if await driver.waitForExit(limit: .seconds(20)) == nil { driver.signal(SIGKILL) }
        await http.shutdown()
    }
}

extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    var items: [JSONValue] {
        if case .array(let array) = self { return array }
        return []
    }

    var text: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var bool: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
