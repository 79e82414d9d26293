//! A keep-alive HTTP/1.1 server on a free port that records every request and answers from a
//! script (Neptune's own error bodies), then 200, or as a function of each request decides;
//! stopped when dropped.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// Number of the TCP connection it came on (1 = first accepted).
    pub connection: usize,
    pub method: String,
    pub path: String,
    /// Names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// The first header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A keep-alive HTTP/1.1 server that records requests and answers from a script, then 200.
pub struct Playback {
    pub port: u16,
    pub recorded: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Playback {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A Neptune error document (`requestId`, `code`, `detailedMessage`) with its HTTP status.
pub fn neptune_error(status: u16, code: &str) -> (u16, String) {
    (
        status,
        format!(
            r#"{{"requestId":"0dbcded3","code":"{code}","detailedMessage":"played back {code}"}}"#
        ),
    )
}

/// A Gremlin success document (any 200 body is success for the writer).
pub const OK_BODY: &str = r#"{"requestId":"1","status":{"message":"","code":200,"attributes":{}},"result":{"data":[],"meta":{}}}"#;

/// What the server answers a request: (status, body).
pub type Answer = Arc<dyn Fn(&Recorded) -> (u16, String) + Send + Sync>;

/// Starts a server on a free port answering `script` in order, then 200 [`OK_BODY`].
pub async fn playback(script: Vec<(u16, String)>) -> Playback {
    let script = Mutex::new(VecDeque::from(script));
    playback_with(Arc::new(move |_: &Recorded| {
        script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or((200, OK_BODY.to_string()))
    }))
    .await
}

/// Starts a server on a free port answering each request with what `answer` gives for it.
pub async fn playback_with(answer: Answer) -> Playback {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let recorded = Arc::new(Mutex::new(Vec::new()));
    let rec = recorded.clone();
    let task = tokio::spawn(async move {
        let mut connection = 0;
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            connection += 1;
            tokio::spawn(serve_connection(
                stream,
                connection,
                rec.clone(),
                answer.clone(),
            ));
        }
    });
    Playback {
        port,
        recorded,
        task,
    }
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    connection: usize,
    recorded: Arc<Mutex<Vec<Recorded>>>,
    answer: Answer,
) {
    let mut stream = BufReader::new(stream);
    loop {
        let mut request_line = String::new();
        if stream.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = request_line.split_whitespace();
        let (method, path) = (
            parts.next().unwrap_or_default().to_string(),
            parts.next().unwrap_or_default().to_string(),
        );
        let mut headers = Vec::new();
        loop {
            let mut line = String::new();
            stream.read_line(&mut line).await.unwrap();
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap();
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .map(|(_, v)| v.parse().unwrap())
            .unwrap_or(0);
        let mut body = vec![0; length];
        stream.read_exact(&mut body).await.unwrap();
        let request = Recorded {
            connection,
            method,
            path,
            headers,
            body,
        };
        // Recorded before answering, in arrival order (the lock is held while `answer` decides).
        let (status, body) = {
            let mut recorded = recorded.lock().unwrap();
            let answer = answer(&request);
            recorded.push(request);
            answer
        };
        let response = format!(
            "HTTP/1.1 {status} Played\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        if stream
            .get_mut()
            .write_all(response.as_bytes())
            .await
            .is_err()
        {
            return;
        }
    }
}
