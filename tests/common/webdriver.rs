//! A small W3C WebDriver client for the console's browser tests: Debian's `chromedriver` drives
//! a headless `chromium`. Only the commands the tests use: navigate, find, type, click, run a
//! script, take a screenshot. Without chromedriver the browser tests are skipped, except in CI.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A running chromedriver with one browser session.
pub struct Browser {
    driver: Child,
    port: u16,
    session: String,
}

/// An element of the current page.
#[derive(Debug, Clone)]
pub struct Element(String);

fn find_binary(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        ["/usr/bin/", "/usr/local/bin/", "/usr/lib/chromium/"]
            .iter()
            .map(|d| format!("{d}{n}"))
            .find(|p| std::path::Path::new(p).exists())
    })
}

async fn http(port: u16, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
    tokio::time::timeout(
        Duration::from_secs(120),
        http_once(port, method, path, body),
    )
    .await
    .map_err(|_| format!("{method} {path}: no answer in 120 s"))?
}

/// One request; the answer is read by its length (chromedriver keeps connections open).
async fn http_once(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    let mut need: Option<usize> = None;
    loop {
        if need.is_none()
            && let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n")
        {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .ok_or("an answer without Content-Length")?;
            need = Some(end + 4 + len);
        }
        if need.is_some_and(|n| raw.len() >= n) {
            break;
        }
        let n = s.read(&mut buf).await.map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&raw);
    let (_, payload) = text.split_once("\r\n\r\n").ok_or("no HTTP answer")?;
    let v: Value = serde_json::from_str(payload).map_err(|e| format!("{e}: {payload}"))?;
    if let Some(err) = v["value"]["error"].as_str() {
        return Err(format!("{err}: {}", v["value"]["message"]));
    }
    Ok(v["value"].clone())
}

impl Browser {
    /// Starts chromedriver and a headless chromium of `width` × `height` CSS pixels; None when
    /// they are not installed outside CI.
    pub async fn start(width: u32, height: u32) -> Option<Browser> {
        let (Some(driver), Some(chromium)) = (
            find_binary(&["chromedriver"]),
            find_binary(&["chromium", "chromium-browser", "google-chrome"]),
        ) else {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but chromium and chromedriver are not installed: the browser tests cannot be skipped in CI"
            );
            eprintln!("skipped: chromium and chromedriver are not installed");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let mut ready = false;
        for _ in 0..100 {
            if http(port, "GET", "/status", None)
                .await
                .is_ok_and(|v| v["ready"] == json!(true))
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(ready, "chromedriver did not start");
        let profile =
            std::env::temp_dir().join(format!("aduan-chromium-{}", uuid::Uuid::new_v4().simple()));
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium,
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--hide-scrollbars", "--lang=id-ID", "--force-device-scale-factor=1",
                    format!("--user-data-dir={}", profile.display()),
                    format!("--window-size={width},{height}"),
                ],
                "prefs": {"intl.accept_languages": "id-ID,id"}
            }
        }}});
        let v = http(port, "POST", "/session", Some(&caps))
            .await
            .expect("a browser session");
        let session = v["sessionId"].as_str().expect("a session id").to_string();
        let b = Browser {
            driver: child,
            port,
            session,
        };
        // The viewport, not the window, is what a phone has.
        b.cmd(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        )
        .await
        .ok();
        Some(b)
    }

    async fn cmd(&self, method: &str, path: &str, body: Value) -> Result<Value, String> {
        let path = format!("/session/{}{path}", self.session);
        let body = (method == "POST").then_some(body);
        http(self.port, method, &path, body.as_ref()).await
    }

    /// Opens a URL and waits for the page.
    pub async fn goto(&self, url: &str) {
        self.cmd("POST", "/url", json!({ "url": url }))
            .await
            .expect("navigate");
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.cmd("GET", "/url", Value::Null)
            .await
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    }

    /// Reloads the page.
    pub async fn refresh(&self) {
        self.cmd("POST", "/refresh", json!({}))
            .await
            .expect("refresh");
    }

    /// Empties the input or textarea of `css`.
    pub async fn clear(&self, css: &str) {
        let e = self.find(css).await;
        self.cmd("POST", &format!("/element/{}/clear", e.0), json!({}))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    /// Back in history.
    pub async fn back(&self) {
        self.cmd("POST", "/back", json!({})).await.expect("back");
    }

    /// The element of a CSS selector.
    pub async fn find(&self, css: &str) -> Element {
        let v = self
            .cmd(
                "POST",
                "/element",
                json!({"using": "css selector", "value": css}),
            )
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
        Element(v[ELEMENT].as_str().unwrap().to_string())
    }

    /// Types into the element of `css`.
    pub async fn fill(&self, css: &str, text: &str) {
        let e = self.find(css).await;
        self.cmd(
            "POST",
            &format!("/element/{}/value", e.0),
            json!({ "text": text }),
        )
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    /// Clicks the element of `css` (a link, a button, a checkbox, an option).
    pub async fn click(&self, css: &str) {
        let e = self.find(css).await;
        self.cmd("POST", &format!("/element/{}/click", e.0), json!({}))
            .await
            .unwrap_or_else(|e| panic!("{css}: {e}"));
    }

    /// Clicks the element of `css` that loads another page (a submit button, a link) and waits
    /// until the new page has loaded.
    pub async fn click_and_wait(&self, css: &str) {
        self.script("window.__aduanOld = true; return true;", json!([]))
            .await;
        self.click(css).await;
        for _ in 0..300 {
            let v = self
                .cmd(
                    "POST",
                    "/execute/sync",
                    json!({"script": "return document.readyState === 'complete' && !window.__aduanOld;", "args": []}),
                )
                .await;
            if v == Ok(json!(true)) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{css}: no new page after 15 s");
    }

    /// The visible text of the element of `css`.
    pub async fn text(&self, css: &str) -> String {
        let e = self.find(css).await;
        self.cmd("GET", &format!("/element/{}/text", e.0), Value::Null)
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Runs a script (its `return` value, a promise awaited).
    pub async fn script(&self, script: &str, args: Value) -> Value {
        self.cmd(
            "POST",
            "/execute/sync",
            json!({ "script": script, "args": args }),
        )
        .await
        .unwrap_or_else(|e| panic!("script: {e}"))
    }

    /// Resizes the window (a taller one for a whole-page screenshot).
    pub async fn resize(&self, width: u32, height: u32) {
        self.cmd(
            "POST",
            "/window/rect",
            json!({"width": width, "height": height}),
        )
        .await
        .expect("resize");
    }

    /// A PNG of the viewport.
    pub async fn screenshot(&self) -> Vec<u8> {
        use base64::Engine as _;
        let v = self.cmd("GET", "/screenshot", Value::Null).await.unwrap();
        base64::engine::general_purpose::STANDARD
            .decode(v.as_str().unwrap())
            .unwrap()
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let _ = self.cmd("DELETE", "", Value::Null).await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
