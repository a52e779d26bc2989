//! A headless Chromium driven over WebDriver (Debian's `chromium` and `chromium-driver`), for the
//! pages the service serves. Where either is missing the test says it skipped, except under
//! `CI=true`, where it fails. Screenshots go to `target/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

const CHROMIUM: [&str; 2] = ["/usr/bin/chromium", "/usr/bin/chromium-browser"];
const DRIVER: &str = "/usr/bin/chromedriver";

pub const DESKTOP: (u32, u32) = (1280, 800);
pub const PHONE: (u32, u32) = (390, 844);

/// See [`PATIENCE`].
pub fn patience() -> Duration {
    PATIENCE
}

/// One browser at a time: the tests run in parallel on two cores, and several Chromiums at
/// once starve each other (and the servers they test) past any sensible wait.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long a page may take to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(20);

/// A browser session and the driver process behind it.
pub struct Browser {
    pub client: Client,
    driver: String,
    /// Where downloads land.
    pub downloads: tempfile::TempDir,
    _process: Child,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// Starts chromedriver and a headless Chromium, or `None` (after saying so) where they are not
/// installed.
pub async fn browser() -> Option<Browser> {
    let chromium = CHROMIUM.iter().find(|p| Path::new(p).exists());
    let (Some(chromium), true) = (chromium, Path::new(DRIVER).exists()) else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and chromium or chromedriver is missing (apt-get install chromium chromium-driver)"
        );
        eprintln!("skipped: chromium or chromedriver is missing");
        return None;
    };
    let turn = ONE_AT_A_TIME.lock().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let process = Command::new(DRIVER)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let driver = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while reqwest::get(format!("{driver}/status")).await.is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "chromedriver did not start"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let downloads = tempfile::tempdir().unwrap();
    let capabilities = json!({
        "browserName": "chrome",
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     format!("--window-size={},{}", DESKTOP.0, DESKTOP.1), "--lang=zh-CN"],
            "prefs": {
                "download.default_directory": downloads.path(),
                "download.prompt_for_download": false,
            },
        },
        "goog:loggingPrefs": {"browser": "ALL"},
    });
    let Value::Object(capabilities) = capabilities else {
        unreachable!()
    };
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver)
        .await
        .expect("a browser session");
    Some(Browser {
        client,
        driver,
        downloads,
        _process: process,
        _turn: turn,
    })
}

impl Browser {
    /// Waits until `css` matches an element, for at most [`PATIENCE`].
    pub async fn wait_for(&self, css: &str) {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css}: {e}"));
    }

    /// Runs `script` (a function body; `arguments` are `args`) until it returns something other
    /// than `null`, `false`, `0`, `""` or an empty list, for at most [`PATIENCE`]; returns that.
    pub async fn wait_until(&self, what: &str, script: &str, args: Vec<Value>) -> Value {
        let started = Instant::now();
        loop {
            let value = self
                .client
                .execute(script, args.clone())
                .await
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let empty = match &value {
                Value::Null | Value::Bool(false) => true,
                Value::String(s) => s.is_empty(),
                Value::Array(a) => a.is_empty(),
                Value::Number(n) => n.as_f64() == Some(0.0),
                Value::Object(_) | Value::Bool(true) => false,
            };
            if !empty {
                return value;
            }
            assert!(started.elapsed() < PATIENCE, "waited in vain for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Presses each key in turn on whatever has the focus, as a person at the keyboard does
    /// (`fantoccini::key::Key` values for Tab, Enter, Space).
    pub async fn press(&self, keys: &str) {
        let mut actions = KeyActions::new("keyboard".to_owned());
        for key in keys.chars() {
            actions = actions
                .then(KeyAction::Down { value: key })
                .then(KeyAction::Up { value: key });
        }
        self.client
            .perform_actions(actions)
            .await
            .unwrap_or_else(|e| panic!("pressing {keys:?}: {e}"));
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn js(&self, script: &str) -> Value {
        self.client
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("{script}: {e}"))
    }

    /// Clicks the element `css` matches, as the page's own script would.
    pub async fn click(&self, css: &str) {
        let found = self
            .client
            .execute(
                "const el = document.querySelector(arguments[0]); if (el) el.click(); return !!el;",
                vec![json!(css)],
            )
            .await
            .unwrap_or_else(|e| panic!("clicking {css}: {e}"));
        assert_eq!(found, Value::Bool(true), "nothing to click at {css}");
    }

    /// Resizes the window to `(width, height)` CSS pixels.
    pub async fn resize(&self, (width, height): (u32, u32)) {
        self.client.set_window_size(width, height).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    /// Saves a screenshot of the whole page, `width` CSS pixels wide, as
    /// `target/screenshots/{name}.png`; the window is left at `width` by the page's height.
    pub async fn screenshot_at(&self, name: &str, width: u32) -> PathBuf {
        self.resize((width, DESKTOP.1)).await;
        let height = self
            .js("return document.documentElement.scrollHeight")
            .await
            .as_u64()
            .unwrap_or(u64::from(DESKTOP.1));
        // The window's height counts the browser's own frame above the page.
        let frame = self
            .js("return window.outerHeight - window.innerHeight")
            .await
            .as_u64()
            .unwrap_or(0);
        let height = u32::try_from((height + frame).min(8000)).unwrap_or(8000);
        self.resize((width, height)).await;
        self.screenshot(name).await
    }

    /// Saves a screenshot of the window as `target/screenshots/{name}.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(&path, png).unwrap();
        path
    }

    /// What the page logged at level SEVERE (errors, failed requests, CSP refusals) since the
    /// last call.
    pub async fn errors(&self) -> Vec<String> {
        let session = self.client.session_id().await.unwrap().unwrap();
        let logs: Value = reqwest::Client::new()
            .post(format!("{}/session/{session}/se/log", self.driver))
            .json(&json!({"type": "browser"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        logs["value"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|entry| entry["level"] == "SEVERE")
            .map(|entry| entry["message"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    /// A file the browser downloaded, once it is complete.
    pub async fn downloaded(&self, name: &str) -> String {
        let path = self.downloads.path().join(name);
        let started = Instant::now();
        while !path.exists() {
            assert!(
                started.elapsed() < PATIENCE,
                "{name} was not downloaded: {:?}",
                std::fs::read_dir(self.downloads.path())
                    .map(|d| d.flatten().map(|e| e.file_name()).collect::<Vec<_>>())
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        std::fs::read_to_string(path).unwrap()
    }

    /// Ends the session, once the page has logged no error since [`Browser::errors`] was last
    /// read.
    pub async fn finish(self) {
        let errors = self.errors().await;
        assert!(errors.is_empty(), "the page logged errors: {errors:?}");
        let _ = self.client.close().await;
    }
}
