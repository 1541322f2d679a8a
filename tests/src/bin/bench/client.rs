//! A minimal keep-alive HTTP/1.1 client: status line, `content-length`, body.

#[allow(unused_imports)]
use super::*;

/// A keep-alive HTTP/1.1 client connection that understands just enough of
/// the protocol for the benchmark: status line, `content-length`, body.
pub(crate) struct Conn {
    pub(crate) stream: TcpStream,
    pub(crate) buf: Vec<u8>,
    /// Where the last response's body is in `buf`.
    pub(crate) body: std::ops::Range<usize>,
}

impl Conn {
    pub(crate) async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(8192),
            body: 0..0,
        })
    }

    /// Sends one request (head, then body) and reads its whole response;
    /// returns the status. The body stays readable through [`Conn::body`].
    pub(crate) async fn call(&mut self, head: &[u8], body: &[u8]) -> Result<u16> {
        self.stream.write_all(head).await?;
        if !body.is_empty() {
            self.stream.write_all(body).await?;
        }
        self.read_response().await
    }

    /// Reads one whole response (into memory).
    pub(crate) async fn read_response(&mut self) -> Result<u16> {
        self.buf.drain(..self.body.end);
        self.body = 0..0;
        loop {
            if let Some(head_len) = find_head_end(&self.buf) {
                let (status, body_len) = parse_head(&self.buf[..head_len])?;
                let total = head_len + body_len;
                self.buf.reserve(total.saturating_sub(self.buf.len()));
                while self.buf.len() < total {
                    self.fill().await?;
                }
                self.body = head_len..total;
                return Ok(status);
            }
            self.fill().await?;
        }
    }

    /// Reads one response, counting its body bytes without keeping them.
    pub(crate) async fn read_counting(&mut self) -> Result<(u16, u64)> {
        self.buf.drain(..self.body.end);
        self.body = 0..0;
        loop {
            if let Some(head_len) = find_head_end(&self.buf) {
                let (status, body_len) = parse_head(&self.buf[..head_len])?;
                let body_len = body_len as u64;
                let mut received = (self.buf.len() - head_len) as u64;
                self.buf.clear();
                let mut scratch = vec![0u8; BIG_CHUNK];
                while received < body_len {
                    let n = self.stream.read(&mut scratch).await?;
                    if n == 0 {
                        bail!("connection closed after {received} of {body_len} bytes");
                    }
                    received += n as u64;
                }
                return Ok((status, received));
            }
            self.fill().await?;
        }
    }

    /// The body of the last response.
    pub(crate) fn body(&self) -> &[u8] {
        &self.buf[self.body.clone()]
    }

    pub(crate) async fn fill(&mut self) -> Result<()> {
        self.buf.reserve(4096);
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            bail!("connection closed by the server");
        }
        Ok(())
    }
}

/// Length of the response head including the blank line, once it is complete.
pub(crate) fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Status code and body length from a response head.
pub(crate) fn parse_head(head: &[u8]) -> Result<(u16, usize)> {
    let head = std::str::from_utf8(head)?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line {status_line:?}"))?;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            return Ok((status, value.trim().parse()?));
        }
        if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("chunked responses are not supported by the bench client");
        }
    }
    bail!("response without content-length")
}
