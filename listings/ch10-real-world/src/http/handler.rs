//! The part every server shares, with no I/O in it: find a request head
//! in the bytes received so far, judge it, and say what to send back and
//! how long to wait for the client. The servers supply bytes and the time.

use super::Limits;
use std::time::Instant;

/// What the bytes received so far hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Head {
    /// A whole, valid head of `len` bytes; `keep_alive` says whether the
    /// connection stays open after the response.
    Complete { len: usize, keep_alive: bool },
    /// No end of head yet, and not over the limit: wait for more bytes.
    Partial,
    /// Refused with `status`; the connection then closes.
    Rejected(Status),
}

/// Why a request head is refused, each with its response (RFC 9110 §15).
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Status {
    /// `400`: malformed, carrying a body, or without exactly one valid
    /// `Host` header where RFC 9112 §3.2 asks for one.
    BadRequest,
    /// `414`: a request line longer than the limit (RFC 9112 §3).
    UriTooLong,
    /// `431`: a head over the limit whose request line is not (RFC 6585 §5).
    HeaderFieldsTooLarge,
    /// `501`: a well-formed method other than `GET` and `HEAD` (RFC 9110
    /// §15.6.2).
    NotImplemented,
    /// `505`: a well-formed version whose major number is not 1 (§15.6.6).
    VersionNotSupported,
}

impl Status {
    /// The whole response, which asks the client to close.
    pub fn response(self) -> &'static [u8] {
        match self {
            Status::BadRequest => BAD_REQUEST,
            Status::UriTooLong => URI_TOO_LONG,
            Status::HeaderFieldsTooLarge => HEADER_FIELDS_TOO_LARGE,
            Status::NotImplemented => NOT_IMPLEMENTED,
            Status::VersionNotSupported => VERSION_NOT_SUPPORTED,
        }
    }
}

/// What a connection does after the bytes just received.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub enum Next {
    /// Every request so far is answered; wait for the next one.
    AwaitRequest,
    /// A request has begun and its head is not all here yet.
    AwaitRestOfHead,
    /// Send what was produced, then close.
    Close,
}

/// The body of every successful response.
pub const BODY: &str = "hello, world\n";

/// The response to a good request whose connection stays open.
pub const OK_KEEP_ALIVE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
Content-Length: 13\r\nConnection: keep-alive\r\n\r\nhello, world\n";

/// The response to a good request whose connection then closes.
pub const OK_CLOSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\
Content-Length: 13\r\nConnection: close\r\n\r\nhello, world\n";

/// The responses to a refused request; the connection then closes.
pub const BAD_REQUEST: &[u8] =
    b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
pub const URI_TOO_LONG: &[u8] =
    b"HTTP/1.1 414 URI Too Long\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
pub const HEADER_FIELDS_TOO_LARGE: &[u8] =
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n\
Content-Length: 0\r\nConnection: close\r\n\r\n";
pub const NOT_IMPLEMENTED: &[u8] = b"HTTP/1.1 501 Not Implemented\r\n\
Content-Length: 0\r\nConnection: close\r\n\r\n";
pub const VERSION_NOT_SUPPORTED: &[u8] =
    b"HTTP/1.1 505 HTTP Version Not Supported\r\n\
Content-Length: 0\r\nConnection: close\r\n\r\n";

// ANCHOR: parse_head
/// Judges the request head at the start of `buf`, which holds what the
/// client has sent so far. It slices only where it found bytes, unwraps
/// nothing fallible, and the fuzz tests found no input that panics it.
pub fn parse_head(buf: &[u8], max_head: usize) -> Head {
    use Status::*;
    // Empty lines before the request line are skipped (RFC 9112 §2.2).
    let skip = buf.chunks(2).take_while(|pair| *pair == b"\r\n").count() * 2;
    let end = buf[skip..].windows(4).position(|w| w == b"\r\n\r\n");
    // Over the limit, ended or not: refuse without waiting for more.
    if end.map_or(buf.len(), |end| skip + end + 4) > max_head {
        return Head::Rejected(too_long(buf, max_head));
    }
    let Some(end) = end else {
        return Head::Partial;
    };
    let Ok(head) = std::str::from_utf8(&buf[skip..][..end]) else {
        return Head::Rejected(BadRequest);
    };
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or_default().split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Head::Rejected(BadRequest);
    };
    // Origin-, absolute- and asterisk-form (RFC 9112 §3.2.1-§3.2.4).
    let form_ok = target.starts_with('/') || target == "*" || is_absolute(target);
    let bad_target = !form_ok || target.bytes().any(|b| b.is_ascii_control());
    if !is_token(method) || bad_target {
        return Head::Rejected(BadRequest);
    }
    // Any 1.x from 1.1 up is served as 1.1 (RFC 9110 §2.5).
    let http_11 = match http_version(version) {
        Some((b'1', minor)) => minor != b'0',
        Some(_) => return Head::Rejected(VersionNotSupported),
        None => return Head::Rejected(BadRequest),
    };
    if method != "GET" && method != "HEAD" {
        return Head::Rejected(NotImplemented);
    }
    let Some(headers) = read_headers(lines) else {
        return Head::Rejected(BadRequest);
    };
    // Asterisk-form names nothing to get (RFC 9112 §3.2.4).
    if target == "*"
        || headers.bad_host
        || headers.hosts > 1
        || (http_11 && headers.hosts == 0)
    {
        return Head::Rejected(BadRequest);
    }
    // HTTP/1.1 keeps the connection open unless told to close; 1.0 closes
    // unless asked to keep it open.
    let keep_alive = !headers.close && (http_11 || headers.keep_alive);
    Head::Complete {
        len: skip + end + 4,
        keep_alive,
    }
}
// ANCHOR_END: parse_head

/// What the header lines say that the server acts on.
struct Headers {
    /// A `Connection` header says `close`.
    close: bool,
    /// A `Connection` header says `keep-alive`.
    keep_alive: bool,
    /// How many `Host` header lines there are.
    hosts: usize,
    /// A `Host` value is not a host and optional port (RFC 9112 §3.2).
    bad_host: bool,
}

/// Reads the header lines; `None` for a malformed line or a body.
fn read_headers<'a>(lines: impl Iterator<Item = &'a str>) -> Option<Headers> {
    let mut headers = Headers {
        close: false,
        keep_alive: false,
        hosts: 0,
        bad_host: false,
    };
    for line in lines {
        let (name, value) = line.split_once(':')?;
        if !is_token(name) {
            return None;
        }
        let value = value.trim();
        if name.eq_ignore_ascii_case("connection") {
            for option in value.split(',').map(str::trim) {
                headers.close |= option.eq_ignore_ascii_case("close");
                headers.keep_alive |= option.eq_ignore_ascii_case("keep-alive");
            }
        } else if name.eq_ignore_ascii_case("host") {
            headers.hosts += 1;
            headers.bad_host |= !is_host(value);
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            || (name.eq_ignore_ascii_case("content-length") && value != "0")
        {
            return None; // a GET with a body: not served here
        }
    }
    Some(headers)
}

/// The major and minor digits of `HTTP/` digit `.` digit (RFC 9112 §2.3).
/// An absolute-form target: `http://` or `https://` (the scheme in any
/// case) and an authority (RFC 9112 §3.2.2). Its path is not looked at: the
/// server answers every path alike.
fn is_absolute(target: &str) -> bool {
    let Some((scheme, rest)) = target.split_once("://") else {
        return false;
    };
    let known =
        scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https");
    known && !rest.is_empty() && !rest.starts_with('/')
}

fn http_version(version: &str) -> Option<(u8, u8)> {
    match version.strip_prefix("HTTP/")?.as_bytes() {
        &[major, b'.', minor]
            if major.is_ascii_digit() && minor.is_ascii_digit() =>
        {
            Some((major, minor))
        }
        _ => None,
    }
}

/// A head over `max_head`: `414` if its request line alone is over it,
/// since the target is the part of that line that can be long; else `431`.
fn too_long(buf: &[u8], max_head: usize) -> Status {
    let line = buf.windows(2).position(|w| w == b"\r\n");
    if line.unwrap_or(buf.len()) > max_head {
        Status::UriTooLong
    } else {
        Status::HeaderFieldsTooLarge
    }
}

/// A `Host` value: `uri-host [ ":" port ]` (RFC 9112 §3.2, RFC 3986 §3.2.2):
/// a bracketed IP literal, or a name of unreserved, sub-delims and `%`
/// characters (which covers IPv4 addresses); the port digits only.
fn is_host(value: &str) -> bool {
    let (host_ok, port) = match value.strip_prefix('[') {
        Some(rest) => match rest.split_once(']') {
            Some((literal, port)) => {
                let ok = literal.bytes().all(|b| is_name_byte(b) || b == b':');
                (ok && !literal.is_empty(), port)
            }
            None => return false,
        },
        None => {
            let (host, port) =
                value.split_at(value.find(':').unwrap_or(value.len()));
            (host.bytes().all(is_name_byte), port)
        }
    };
    let port_ok = port.is_empty()
        || port
            .strip_prefix(':')
            .is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// A byte of a reg-name: unreserved, sub-delims, or `%` (RFC 3986 §3.2.2).
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=%".contains(&b)
}

/// A method or header name: one or more token characters (RFC 9110 §5.6.2).
fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// The characters RFC 9110 allows in a header name.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

// ANCHOR: connection
/// One connection's state between reads: the start of a request not yet
/// complete, and when the client's time runs out. Every server keeps one
/// per connection and feeds it what it reads; only the waiting differs.
#[derive(Debug)]
pub struct Connection {
    limits: Limits,
    pending: Vec<u8>,
    deadline: Instant,
}

impl Connection {
    /// Takes the bytes just read, appends to `out` the response to every
    /// request they complete, in order (pipelined requests included), and
    /// says what to do next.
    pub fn receive(
        &mut self,
        bytes: &[u8],
        now: Instant,
        out: &mut Vec<u8>,
    ) -> Next {
        let was_mid_request = !self.pending.is_empty();
        let mut answered = false;
        self.pending.extend_from_slice(bytes);
        loop {
            match parse_head(&self.pending, self.limits.max_head) {
                Head::Complete { len, keep_alive } => {
                    // `parse_head` let only GET and HEAD, then a space, through.
                    let head_only =
                        self.pending.trim_ascii_start().starts_with(b"HEAD ");
                    self.pending.drain(..len);
                    answered = true;
                    let ok = if keep_alive { OK_KEEP_ALIVE } else { OK_CLOSE };
                    // HEAD gets GET's head, `Content-Length` included (§9.3.2).
                    let body = if head_only { BODY.len() } else { 0 };
                    out.extend_from_slice(&ok[..ok.len() - body]);
                    if !keep_alive {
                        return Next::Close;
                    }
                }
                Head::Partial if self.pending.is_empty() => {
                    self.deadline = now + self.limits.idle_timeout;
                    return Next::AwaitRequest;
                }
                Head::Partial => {
                    // A request that has just begun gets `head_timeout` to
                    // finish, counted from its first bytes, not from each read.
                    if answered || !was_mid_request {
                        self.deadline = now + self.limits.head_timeout;
                    }
                    return Next::AwaitRestOfHead;
                }
                Head::Rejected(status) => {
                    out.extend_from_slice(status.response());
                    return Next::Close;
                }
            }
        }
    }
}
// ANCHOR_END: connection

impl Connection {
    pub fn new(limits: Limits, now: Instant) -> Self {
        let deadline = now + limits.idle_timeout;
        Connection {
            limits,
            pending: Vec::new(),
            deadline,
        }
    }

    /// When the server stops waiting for this client and closes.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const MAX: usize = 8 * 1024;

    fn limits() -> Limits {
        Limits::default()
    }

    #[test]
    fn the_responses_state_their_body_length() {
        for response in [OK_KEEP_ALIVE, OK_CLOSE] {
            let text = std::str::from_utf8(response).unwrap();
            let (head, body) = text.split_once("\r\n\r\n").unwrap();
            assert_eq!(body, BODY);
            assert!(head.contains(&format!("Content-Length: {}\r\n", BODY.len())));
        }
    }

    #[test]
    fn parse_head_tells_complete_partial_and_bad_apart() {
        let get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let complete = Head::Complete {
            len: get.len(),
            keep_alive: true,
        };
        assert_eq!(parse_head(get, MAX), complete);
        assert_eq!(parse_head(&[&get[..], b"GET"].concat(), MAX), complete);
        for cut in 0..get.len() {
            assert_eq!(parse_head(&get[..cut], MAX), Head::Partial, "cut at {cut}");
        }
        let close =
            b"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Close\r\n\r\n";
        assert!(matches!(
            parse_head(close, MAX),
            Head::Complete {
                keep_alive: false,
                ..
            }
        ));
        let old = b"GET / HTTP/1.0\r\n\r\n";
        assert!(matches!(
            parse_head(old, MAX),
            Head::Complete {
                keep_alive: false,
                ..
            }
        ));
        let bad = Head::Rejected(Status::BadRequest);
        assert_eq!(
            parse_head(&[b'a'; MAX + 1], MAX),
            Head::Rejected(Status::UriTooLong)
        );
        assert_eq!(parse_head(b"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", MAX), bad);
    }

    /// RFC 9112 §2.2: empty lines before the request line are skipped, and
    /// count in the length consumed. §3.2.2: an absolute-form target is
    /// accepted. §3.2.4: asterisk-form is well-formed (501 for OPTIONS), but
    /// names nothing to GET.
    #[test]
    fn leading_empty_lines_absolute_and_asterisk_targets() {
        let get = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
        let led = [&b"\r\n\r\n"[..], get].concat();
        let complete = |len| Head::Complete {
            len,
            keep_alive: true,
        };
        assert_eq!(parse_head(&led, MAX), complete(led.len()));
        assert_eq!(parse_head(b"\r\n\r\n", MAX), Head::Partial);
        let absolute = b"GET HTTP://x/index.html HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(parse_head(absolute, MAX), complete(absolute.len()));
        let status = |head: &[u8]| match parse_head(head, MAX) {
            Head::Rejected(status) => Some(status),
            _ => None,
        };
        use Status::*;
        assert_eq!(
            status(b"GET https:// HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(BadRequest)
        );
        assert_eq!(
            status(b"GET ftp://x/ HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(BadRequest)
        );
        let options = b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(status(options), Some(NotImplemented));
        assert_eq!(
            status(b"GET * HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(BadRequest)
        );
        assert_eq!(status(b"\r\n \r\n\r\n"), Some(BadRequest));
    }

    /// RFC 9110 §15.6.2 and §15.6.6, RFC 9112 §3.2: a method the server
    /// does not implement, a version it does not speak, and an HTTP/1.1
    /// request with no `Host` or with two.
    #[test]
    fn parse_head_answers_501_505_and_400_for_a_missing_host() {
        let status = |head: &[u8]| match parse_head(head, MAX) {
            Head::Rejected(status) => Some(status),
            _ => None,
        };
        use Status::*;
        assert_eq!(
            status(b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(NotImplemented)
        );
        assert_eq!(status(b"PUT / HTTP/1.0\r\n\r\n"), Some(NotImplemented));
        assert_eq!(status(b"HEAD / HTTP/1.0\r\n\r\n"), None);
        assert_eq!(
            status(b"GET / HTTP/2.0\r\nHost: x\r\n\r\n"),
            Some(VersionNotSupported)
        );
        assert_eq!(status(b"GET / HTTP/0.9\r\n\r\n"), Some(VersionNotSupported));
        assert_eq!(status(b"GET / HTTP/1.1\r\n\r\n"), Some(BadRequest));
        let two_hosts = b"GET / HTTP/1.1\r\nHost: x\r\nhost: y\r\n\r\n";
        assert_eq!(status(two_hosts), Some(BadRequest));
        // Not well-formed at all: 400, not 501 or 505.
        assert_eq!(
            status(b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some(BadRequest)
        );
        assert_eq!(
            status(b"GET / HTTP/1.10\r\nHost: x\r\n\r\n"),
            Some(BadRequest)
        );
        assert_eq!(status(b"GET / HTTP/1.0\r\n\r\n"), None); // 1.0 needs no Host
        assert_eq!(status(b"GET / HTTP/1.1\r\nHOST: x\r\n\r\n"), None);
    }

    /// RFC 9110 §2.5: a later 1.x is served as 1.1, and only another major
    /// version gets 505. RFC 9112 §3: a request line over the limit gets
    /// 414, a head over it otherwise 431. RFC 9112 §3.2: an invalid `Host`
    /// value gets 400.
    #[test]
    fn later_minor_versions_long_heads_and_bad_hosts_get_their_status() {
        let status = |head: &[u8], max| match parse_head(head, max) {
            Head::Rejected(status) => Some(status),
            _ => None,
        };
        use Status::*;
        let http_1_2 = b"GET / HTTP/1.2\r\nHost: x\r\n\r\n";
        assert!(matches!(
            parse_head(http_1_2, MAX),
            Head::Complete {
                keep_alive: true,
                ..
            }
        ));
        assert_eq!(status(b"GET / HTTP/1.9\r\n\r\n", MAX), Some(BadRequest));
        assert_eq!(
            status(b"GET / HTTP/3.1\r\nHost: x\r\n\r\n", MAX),
            Some(VersionNotSupported)
        );
        let long_target =
            format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(60));
        assert_eq!(status(long_target.as_bytes(), 64), Some(UriTooLong));
        // Unfinished: the request line alone is already over the limit.
        assert_eq!(status(&long_target.as_bytes()[..66], 64), Some(UriTooLong));
        let long_header =
            format!("GET / HTTP/1.1\r\nHost: x\r\nX: {}\r\n\r\n", "a".repeat(60));
        assert_eq!(
            status(long_header.as_bytes(), 64),
            Some(HeaderFieldsTooLarge)
        );
        assert_eq!(
            status(&long_header.as_bytes()[..66], 64),
            Some(HeaderFieldsTooLarge)
        );
        for host in ["a b", "x/y", "x:8o", "[::1", "@x", "[]", "x?"] {
            let head = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
            assert_eq!(status(head.as_bytes(), MAX), Some(BadRequest), "{host}");
        }
        for host in [
            "",
            "example.com:8080",
            "127.0.0.1",
            "[::1]:80",
            "a%20b",
            "x:",
        ] {
            let head = format!("GET / HTTP/1.1\r\nHost: {host}\r\n\r\n");
            assert_eq!(status(head.as_bytes(), MAX), None, "{host}");
        }
    }

    /// Random buffers, and every cut of them, from a fixed seed: half are
    /// random bytes, half good heads with a few bytes changed, which get
    /// past the first checks. The parser returns a verdict for each, and a
    /// complete head lies within the buffer and the limit.
    #[test]
    fn parse_head_never_panics_on_random_bytes() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let good = b"GET /a HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n";
        let alphabet = b"GET /HTP1.0:\r\n ,keep-alive close";
        for case in 0..2000 {
            let buf: Vec<u8> = if case % 2 == 0 {
                let len = (next() % 300) as usize;
                (0..len)
                    .map(|_| match next() % 3 {
                        0 => next() as u8,
                        _ => alphabet[(next() % alphabet.len() as u64) as usize],
                    })
                    .collect()
            } else {
                let mut buf = good.to_vec();
                for _ in 0..1 + next() % 3 {
                    let at = (next() % buf.len() as u64) as usize;
                    buf[at] = next() as u8;
                }
                buf
            };
            for cut in 0..=buf.len() {
                if let Head::Complete { len, .. } = parse_head(&buf[..cut], 64) {
                    assert!(len <= cut && len <= 64, "{len} of {cut}");
                }
            }
        }
    }

    #[test]
    fn a_connection_answers_pipelined_requests_and_stops_at_a_bad_one() {
        let now = Instant::now();
        let mut connection = Connection::new(limits(), now);
        let mut out = Vec::new();
        let two = b"GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nGET /c";
        assert_eq!(
            connection.receive(two, now, &mut out),
            Next::AwaitRestOfHead
        );
        assert_eq!(out, [OK_KEEP_ALIVE, OK_KEEP_ALIVE].concat());
        out.clear();
        assert_eq!(
            connection.receive(b" HTTP/9\r\nHost: x\r\n\r\nGET", now, &mut out),
            Next::Close
        );
        assert_eq!(out, BAD_REQUEST);
    }

    /// The head deadline runs from the request's first bytes: later bytes of
    /// the same head do not extend it, a new request does.
    /// RFC 9110 §9.1 and §9.3.2: HEAD gets GET's response head, with its
    /// `Content-Length`, and no body; a GET pipelined after it gets the body.
    #[test]
    fn head_gets_the_get_head_without_its_body() {
        let now = Instant::now();
        let mut conn = Connection::new(limits(), now);
        let mut out = Vec::new();
        let two =
            b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n";
        assert_eq!(conn.receive(two, now, &mut out), Next::AwaitRequest);
        let head = &OK_KEEP_ALIVE[..OK_KEEP_ALIVE.len() - BODY.len()];
        assert_eq!(out, [head, OK_KEEP_ALIVE].concat());
        assert!(head.ends_with(b"\r\n\r\n"));
    }

    #[test]
    fn the_deadline_is_idle_between_requests_and_short_within_one() {
        let start = Instant::now();
        let later = start + Duration::from_secs(1);
        let l = limits();
        let mut connection = Connection::new(l, start);
        let mut out = Vec::new();
        assert_eq!(connection.deadline(), start + l.idle_timeout);
        connection.receive(b"GET / HT", start, &mut out);
        assert_eq!(connection.deadline(), start + l.head_timeout);
        connection.receive(b"TP/1.1\r\nHost: x\r\n", later, &mut out);
        assert_eq!(connection.deadline(), start + l.head_timeout);
        connection.receive(b"\r\n", later, &mut out);
        assert_eq!(connection.deadline(), later + l.idle_timeout);
        connection.receive(
            b"GET /next HTTP/1.1\r\nHost: x\r\n\r\nGET",
            later,
            &mut out,
        );
        assert_eq!(connection.deadline(), later + l.head_timeout);
    }
}
