import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Reads the two S3 XML documents we need: ListObjectsV2 pages and error bodies.
enum S3XML {
    struct ListPage {
        var objects: [(key: String, size: Int, lastModified: Date?)] = []
        var isTruncated = false
    }

    static func listPage(_ body: [UInt8], store: String) throws -> ListPage {
        let elements = flatten(body)
        guard elements.contains(where: { $0.path.first == "ListBucketResult" }) else {
            throw StorageError.unavailable(store: store, reason: "ListObjectsV2 answer is not a ListBucketResult")
        }
        var page = ListPage()
        var key: String?, size = 0, modified: Date?
        let iso = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for element in elements {
            switch element.path {
            case ["ListBucketResult", "IsTruncated"]: page.isTruncated = element.text == "true"
            case ["ListBucketResult", "Contents", "Key"]: key = element.text
            case ["ListBucketResult", "Contents", "Size"]: size = Int(element.text) ?? 0
            case ["ListBucketResult", "Contents", "LastModified"]:
                modified = (try? iso.parse(element.text)) ?? (try? Date.ISO8601FormatStyle().parse(element.text))
            case ["ListBucketResult", "Contents"]:
                if let key { page.objects.append((key, size, modified)) }
                key = nil; size = 0; modified = nil
            default: break
            }
        }
        return page
    }

    /// `<Error><Code>…</Code><Message>…</Message></Error>`, or nil when the body is not one.
    static func error(_ body: [UInt8]) -> (code: String, message: String)? {
        guard !body.isEmpty else { return nil }
        let elements = flatten(body)
        guard let code = elements.first(where: { $0.path == ["Error", "Code"] })?.text else { return nil }
        let message = elements.first(where: { $0.path == ["Error", "Message"] })?.text ?? ""
        return (code, message)
    }

    /// Every element as (path from the root, text), reported when the element closes.
    private static func flatten(_ body: [UInt8]) -> [(path: [String], text: String)] {
        let collector = Collector()
        let parser = XMLParser(data: Data(body))
        parser.delegate = collector
        _ = parser.parse()
        return collector.elements
    }

    private final class Collector: NSObject, XMLParserDelegate {
        var elements: [(path: [String], text: String)] = []
        private var path: [String] = []
        private var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            path.append(name)
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            elements.append((path, text.trimmingCharacters(in: .whitespacesAndNewlines)))
            path.removeLast()
            text = ""
        }
    }
}
