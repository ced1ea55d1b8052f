import Hummingbird

/// The page at `/`. For now it shows the live system status; sign-in, forecasts and jobs are
/// not on it yet (the routes exist: see openapi.yaml).
enum Dashboard {
    static func response() -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    static let html = """
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>StockHub</title>
    <style>
      body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 44rem; color: #1d2330; padding: 0 1rem; }
      h1 { font-size: 1.5rem; margin-bottom: .25rem; }
      .muted { color: #5b6475; }
      table { border-collapse: collapse; width: 100%; margin-top: 1rem; }
      td, th { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e3e6ec; vertical-align: top; }
      .ok { color: #1a7f37; font-weight: 600; } .down { color: #c62828; font-weight: 600; }
      code { font-size: .9em; }
    </style>
    </head>
    <body>
    <h1>StockHub</h1>
    <p class="muted">Stock forecasting as a distributed job system. Accounts and forecasts work through the API
    (see the README); signing in and reading forecasts on this page are not built yet, so for now it shows the
    live state of the system. API contract: <a href="/openapi.yaml">/openapi.yaml</a>.</p>
    <p>System: <span id="overall" class="muted">checking…</span> <span id="meta" class="muted"></span></p>
    <table><thead><tr><th>Dependency</th><th>State</th><th>Detail</th><th>ms</th></tr></thead><tbody id="deps"></tbody></table>
    <script>
    async function refresh() {
      const overall = document.getElementById('overall');
      try {
        const response = await fetch('/api/status', { headers: { 'Accept': 'application/json' } });
        const status = await response.json();
        overall.textContent = status.status;
        overall.className = status.status === 'ok' ? 'ok' : 'down';
        document.getElementById('meta').textContent = `· ${status.environment} · v${status.version} · up ${status.uptime_seconds}s`;
        const rows = Object.values(status.dependencies).map(d => {
          const tr = document.createElement('tr');
          for (const [text, cls] of [[d.name], [d.status, d.status], [d.detail], [d.latency_ms]]) {
            const td = document.createElement('td'); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td);
          }
          return tr;
        });
        document.getElementById('deps').replaceChildren(...rows);
      } catch (error) {
        overall.textContent = 'unreachable (' + error + ')';
        overall.className = 'down';
      }
    }
    refresh();
    setInterval(refresh, 5000);
    </script>
    </body>
    </html>
    """
}
