//! What the end-to-end tests share: the `mamori` binary run as a child process that is always
//! killed, and a minimal HTTP/1.1 client for loopback requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// How long a child process may take to say it is ready.
const STARTUP: Duration = Duration::from_secs(120);

pub const PASSWORD: &str = "Kiritsubo-2026-Suzaku";

pub fn mamori() -> Command {
    settled(Command::new(env!("CARGO_BIN_EXE_mamori")))
}

/// `mamori` run under the umask a site's shell commonly has (022).
pub fn mamori_with_umask_022() -> Command {
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg("umask 022; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_mamori"));
    settled(command)
}

fn settled(mut command: Command) -> Command {
    command.env("RUST_LOG", "warn");
    // The tests say where everything is; the caller's environment must not.
    for name in [
        "MAMORI_DATA",
        "MAMORI_DATABASE_URL",
        "MAMORI_LISTEN",
        "MAMORI_SECURE_COOKIES",
        "MAMORI_INSECURE_COOKIES",
        "MAMORI_SESSION_IDLE_MINUTES",
        "MAMORI_TRUSTED_PROXY",
        "MAMORI_GATEWAY_CONFIG",
        "MAMORI_DIRECTORY_CONFIG",
        "MAMORI_LOG_FORMAT",
    ] {
        command.env_remove(name);
    }
    command
}

/// Runs `mamori ARGS` to completion with `stdin` as its standard input.
pub fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = mamori()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("mamori starts");
    let mut input = child.stdin.take().expect("stdin is piped");
    input.write_all(stdin.as_bytes()).expect("stdin is written");
    drop(input);
    child.wait_with_output().expect("mamori runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// An API token issued to `username` by `mamori token create`, as an `Authorization` value.
pub fn bearer_token(data: &Path, username: &str) -> String {
    let output = run(
        &[
            "token",
            "create",
            "--data",
            data.to_str().expect("UTF-8 path"),
            "--username",
            username,
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    format!("Bearer {}", text(&output.stdout).trim())
}

/// A child process that is killed, with everything it started, when the value goes away: on
/// success, on a failed assertion and on a panic alike.
pub struct ChildGuard {
    child: Child,
    name: &'static str,
}

impl ChildGuard {
    /// Starts `command` in a process group of its own, so that its descendants (the browsers a
    /// WebDriver starts) can be ended together with it.
    pub fn spawn(name: &'static str, mut command: Command) -> Self {
        use std::os::unix::process::CommandExt;
        command.process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("{name} does not start: {e}"));
        Self { child, name }
    }

    pub fn id(&self) -> u32 {
        self.child.id()
    }

    pub fn stdout(&mut self) -> std::process::ChildStdout {
        self.child.stdout.take().expect("stdout is piped")
    }

    pub fn stderr(&mut self) -> std::process::ChildStderr {
        self.child.stderr.take().expect("stderr is piped")
    }

    /// Panics when the process has already ended, naming how.
    pub fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("{} exited early: {status}", self.name);
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        // The whole group: the process itself and whatever it started.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running `mamori serve`.
pub struct Server {
    pub addr: SocketAddr,
    /// The first administrator's password, as printed on the first start.
    pub admin_password: String,
    pub data: PathBuf,
    /// What the server printed on its standard output until it said where it listens.
    pub printed: Vec<String>,
    /// The reader of its standard error, when [`Start::capture_stderr`] asked for it.
    stderr: Option<std::thread::JoinHandle<String>>,
    guard: ChildGuard,
}

/// How [`Server::start_with`] runs `mamori serve`, beyond its data folder and arguments.
#[derive(Default)]
pub struct Start<'a> {
    /// `--listen`; a free loopback port when absent.
    pub listen: Option<&'a str>,
    /// Variables set in the server's environment.
    pub env: &'a [(&'a str, &'a str)],
    /// Run under umask 022.
    pub umask_022: bool,
    /// Keep its standard error for [`Server::stop`] instead of passing it through.
    pub capture_stderr: bool,
}

impl Server {
    /// Starts `mamori serve` on a free loopback port with its data in `data`.
    pub fn start(data: &Path, extra: &[&str]) -> Self {
        Self::start_with(data, extra, &Start::default())
    }

    pub fn start_with(data: &Path, extra: &[&str], how: &Start) -> Self {
        let mut command = if how.umask_022 {
            mamori_with_umask_022()
        } else {
            mamori()
        };
        command
            .arg("serve")
            .arg("--data")
            .arg(data)
            .args(["--listen", how.listen.unwrap_or("127.0.0.1:0")])
            .args(extra)
            .envs(how.env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(if how.capture_stderr {
                Stdio::piped()
            } else {
                Stdio::inherit()
            });
        let mut guard = ChildGuard::spawn("mamori serve", command);
        let stderr = how.capture_stderr.then(|| {
            let mut stream = guard.stderr();
            std::thread::spawn(move || {
                let mut all = Vec::new();
                let _ = stream.read_to_end(&mut all);
                text(&all)
            })
        });
        let lines = line_channel(guard.stdout());
        let mut admin_password = String::new();
        let mut printed = Vec::new();
        let addr = loop {
            let line = match lines.recv_timeout(STARTUP) {
                Ok(line) => line,
                Err(_) => {
                    guard.assert_running();
                    panic!("mamori serve printed no address within {STARTUP:?}");
                }
            };
            printed.push(line.clone());
            if let Some(password) = line.trim().strip_prefix("パスワード (password):") {
                admin_password = password.trim().to_owned();
            }
            if let Some(rest) = line.strip_prefix("mamori: http://") {
                let addr = rest.split('/').next().unwrap_or_default();
                let mut addr = addr
                    .parse::<SocketAddr>()
                    .unwrap_or_else(|e| panic!("address in {line:?}: {e}"));
                // Listening on every address: reach it on loopback.
                if addr.ip().is_unspecified() {
                    addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                break addr;
            }
        };
        Self {
            addr,
            admin_password,
            data: data.to_owned(),
            printed,
            stderr,
            guard,
        }
    }

    /// Ends the server and answers what it wrote to its standard error (nothing unless it was
    /// captured).
    pub fn stop(self) -> String {
        drop(self.guard);
        self.stderr
            .map(|reader| reader.join().expect("the reader of stderr"))
            .unwrap_or_default()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn assert_running(&mut self) {
        self.guard.assert_running();
    }

    /// Logs in as the first administrator and replaces the printed password, as the server asks
    /// before anything else; [`Server::admin_password`] is the new one afterwards.
    pub fn change_admin_password(&mut self) {
        let login_page = get(self.addr, "/login", &[]);
        let pre = login_page.cookie("mamori_pre").expect("pre-session cookie");
        let cookie = format!("mamori_pre={pre}");
        let login = post_form(
            self.addr,
            "/login",
            &[("Cookie", &cookie)],
            &[
                ("_csrf", &pre),
                ("username", "admin"),
                ("password", &self.admin_password),
            ],
        );
        assert_eq!(login.status, 303, "admin login: {}", login.body);
        let session = login.cookie("mamori_session").expect("session cookie");
        let cookie = format!("mamori_session={session}");
        let form = get(self.addr, "/account/password", &[("Cookie", &cookie)]);
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = form.csrf().expect("CSRF token of the password form");
        let changed = post_form(
            self.addr,
            "/account/password",
            &[("Cookie", &cookie)],
            &[
                ("_csrf", &csrf),
                ("current", &self.admin_password),
                ("new_password", ADMIN_PASSWORD),
            ],
        );
        assert_eq!(changed.status, 200, "password change: {}", changed.body);
        self.admin_password = ADMIN_PASSWORD.to_owned();
    }
}

/// The first administrator's password once [`Server::change_admin_password`] has set it.
pub const ADMIN_PASSWORD: &str = "Hokkaido-Kanko-2026-Ruri";

/// Forwards the lines of a child's output to a channel, so that reading can time out.
fn line_channel(stdout: impl Read + Send + 'static) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // Keep draining after the reader is gone: a child writing to a closed pipe would die.
            let _ = send.send(line);
        }
    });
    receive
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Waits until something accepts connections on `port`.
pub fn wait_for_port(port: u16, guard: &mut ChildGuard) {
    let deadline = std::time::Instant::now() + STARTUP;
    while std::time::Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        guard.assert_running();
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("nothing listens on port {port} after {STARTUP:?}");
}

/// A response of [`get`] or [`post_form`].
pub struct Response {
    pub status: u16,
    /// The header lines, as sent.
    pub head: String,
    pub body: String,
}

impl Response {
    /// The value of the cookie `name` that the response sets.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (header, value) = line.split_once(':')?;
            if !header.eq_ignore_ascii_case("set-cookie") {
                return None;
            }
            let pair = value.trim().split(';').next()?;
            let (key, value) = pair.split_once('=')?;
            (key == name).then(|| value.to_owned())
        })
    }

    /// The CSRF token a form of the page carries.
    pub fn csrf(&self) -> Option<String> {
        let marker = "name=\"_csrf\" value=\"";
        let start = self.body.find(marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(self.body[start..end].to_owned())
    }
}

/// `GET path` with the given extra header lines, over a fresh connection.
pub fn get(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Response {
    exchange(addr, "GET", path, headers, "")
}

/// `POST path` of a form (`application/x-www-form-urlencoded` pairs), over a fresh connection.
pub fn post_form(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
) -> Response {
    let encode = |text: &str| {
        text.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let body = form
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    let length = body.len().to_string();
    let mut all = vec![
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Content-Length", length.as_str()),
    ];
    all.extend_from_slice(headers);
    exchange(addr, "POST", path, &all, &body)
}

/// `POST path` of a JSON body, over a fresh connection.
pub fn post_json(addr: SocketAddr, path: &str, headers: &[(&str, &str)], json: &str) -> Response {
    let length = json.len().to_string();
    let mut all = vec![
        ("Content-Type", "application/json"),
        ("Content-Length", length.as_str()),
    ];
    all.extend_from_slice(headers);
    exchange(addr, "POST", path, &all, json)
}

fn exchange(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("server accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("timeout is set");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream
        .write_all(request.as_bytes())
        .expect("request is sent");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("response is read");
    let raw = text(&raw);
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {head:?}"));
    Response {
        status,
        head: head.to_owned(),
        body: body.to_owned(),
    }
}

/// Every folder under `root` (itself included) and every file in them, each with whether it is
/// a folder and its permission bits; what vanishes while it is walked is left out.
pub fn modes_under(root: &Path) -> Vec<(PathBuf, bool, u32)> {
    use std::os::unix::fs::PermissionsExt;
    let mut found = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(meta) = std::fs::symlink_metadata(&folder) else {
            continue;
        };
        found.push((folder.clone(), true, meta.permissions().mode() & 0o777));
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                folders.push(path);
            } else {
                found.push((path, false, meta.permissions().mode() & 0o777));
            }
        }
    }
    found
}
