//! Many UDP datagrams per system call: `recvmmsg` and `sendmmsg`, for the
//! DHCPv4 `udp` sockets and the DHCPv6 sockets.
//!
//! Under load a worker finds several datagrams waiting (perfdhcp at 20,000
//! DORA/s: 40,000 datagrams in 21,500 wake-ups per second). [`RxQueue`]
//! takes up to [`BATCH`] of them in one `recvmmsg` (waiting for the first
//! only, `MSG_WAITFORONE`, so the socket's receive timeout still applies)
//! and hands them out one at a time; [`send_many`] sends the replies of
//! such a batch in one `sendmmsg`. The queue belongs to one socket handle
//! (one worker): datagrams it holds are handled by that worker.
//!
//! The address family is an [`Addr`]: IPv4 (`sockaddr_in`) or IPv6
//! (`sockaddr_in6`, with each datagram's destination from its
//! `IPV6_PKTINFO` control message).

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;

/// Datagrams taken per `recvmmsg` / sent per `sendmmsg`.
pub const BATCH: usize = 16;

/// Room for the control messages of one datagram (an `IPV6_PKTINFO`),
/// in 8-byte words so that it is aligned like `cmsghdr`.
const CMSG_WORDS: usize = nix::sys::socket::cmsg_space::<libc::in6_pktinfo>().div_ceil(8);

/// A socket address family the batches work with.
pub trait Addr: Copy + std::fmt::Debug {
    /// The C socket address (`sockaddr_in`, `sockaddr_in6`).
    type Raw: Copy;
    /// Whether each datagram's destination is read (`IPV6_PKTINFO`).
    const PKTINFO: bool;
    fn to_raw(self) -> Self::Raw;
    /// The address the kernel wrote; `None` for another family.
    fn from_raw(raw: &Self::Raw) -> Option<Self>;
    fn unspecified() -> Self;
}

impl Addr for SocketAddrV4 {
    type Raw = libc::sockaddr_in;
    const PKTINFO: bool = false;
    fn to_raw(self) -> libc::sockaddr_in {
        libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: self.port().to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from(*self.ip()).to_be(),
            },
            sin_zero: [0; 8],
        }
    }
    fn from_raw(a: &libc::sockaddr_in) -> Option<Self> {
        (i32::from(a.sin_family) == libc::AF_INET).then(|| {
            SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                u16::from_be(a.sin_port),
            )
        })
    }
    fn unspecified() -> Self {
        SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0)
    }
}

impl Addr for SocketAddrV6 {
    type Raw = libc::sockaddr_in6;
    const PKTINFO: bool = true;
    fn to_raw(self) -> libc::sockaddr_in6 {
        libc::sockaddr_in6 {
            sin6_family: libc::AF_INET6 as libc::sa_family_t,
            sin6_port: self.port().to_be(),
            sin6_flowinfo: self.flowinfo(),
            sin6_addr: libc::in6_addr {
                s6_addr: self.ip().octets(),
            },
            sin6_scope_id: self.scope_id(),
        }
    }
    fn from_raw(a: &libc::sockaddr_in6) -> Option<Self> {
        (i32::from(a.sin6_family) == libc::AF_INET6).then(|| {
            SocketAddrV6::new(
                Ipv6Addr::from(a.sin6_addr.s6_addr),
                u16::from_be(a.sin6_port),
                a.sin6_flowinfo,
                a.sin6_scope_id,
            )
        })
    }
    fn unspecified() -> Self {
        SocketAddrV6::new(Ipv6Addr::UNSPECIFIED, 0, 0, 0)
    }
}

/// One datagram handed out by [`RxQueue::pop`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Datagram<A> {
    pub len: usize,
    pub src: A,
    /// Where it was sent (IPv6 only: its `IPV6_PKTINFO`).
    pub dst: Option<Ipv6Addr>,
}

/// A socket handle's receive side: its [`RxQueue`], allocated at the
/// first receive (a clone of the handle starts with none).
pub(crate) struct Rx<A: Addr> {
    slot: usize,
    queue: std::sync::Mutex<Option<Box<RxQueue<A>>>>,
}

impl<A: Addr> std::fmt::Debug for Rx<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rx").field("slot", &self.slot).finish()
    }
}

impl<A: Addr> Rx<A> {
    /// Room for datagrams of up to `slot` bytes.
    pub(crate) fn new(slot: usize) -> Self {
        Rx {
            slot,
            queue: std::sync::Mutex::new(None),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Box<RxQueue<A>>>> {
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The next datagram of `fd` into `buf`: one already taken, or (none
    /// left) the first of up to [`BATCH`] more; `Ok(None)` on the receive
    /// timeout.
    pub(crate) fn recv(&self, fd: RawFd, buf: &mut [u8]) -> io::Result<Option<Datagram<A>>> {
        let mut q = self.lock();
        let q = q.get_or_insert_with(|| Box::new(RxQueue::new(self.slot)));
        if !q.pending() && crate::quiet(q.fill(fd))?.is_none() {
            return Ok(None);
        }
        Ok(q.pop(buf))
    }

    /// Whether datagrams already received wait here.
    pub(crate) fn pending(&self) -> bool {
        self.lock().as_ref().is_some_and(|q| q.pending())
    }
}

/// Datagrams received together and not yet handed out.
pub(crate) struct RxQueue<A: Addr> {
    slot: usize,
    data: Box<[u8]>,
    lens: [usize; BATCH],
    srcs: [Option<A>; BATCH],
    dsts: [Option<Ipv6Addr>; BATCH],
    next: usize,
    count: usize,
}

impl<A: Addr> std::fmt::Debug for RxQueue<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RxQueue")
            .field("next", &self.next)
            .field("count", &self.count)
            .finish()
    }
}

impl<A: Addr> RxQueue<A> {
    /// A queue for datagrams of up to `slot` bytes (longer ones are cut;
    /// the caller's parser then refuses them and counts it). The buffer is
    /// zeroed memory the kernel maps page by page as datagrams land.
    pub(crate) fn new(slot: usize) -> Self {
        RxQueue {
            slot,
            data: vec![0u8; BATCH * slot].into_boxed_slice(),
            lens: [0; BATCH],
            srcs: [None; BATCH],
            dsts: [None; BATCH],
            next: 0,
            count: 0,
        }
    }

    /// Whether datagrams are waiting here.
    pub(crate) fn pending(&self) -> bool {
        self.next < self.count
    }

    /// Copies the next waiting datagram into `buf` (truncated to it).
    /// Datagrams from a sender of another family are skipped.
    pub(crate) fn pop(&mut self, buf: &mut [u8]) -> Option<Datagram<A>> {
        while self.next < self.count {
            let i = self.next;
            self.next += 1;
            let Some(src) = self.srcs[i] else { continue };
            let len = self.lens[i].min(self.slot).min(buf.len());
            let at = i * self.slot;
            buf[..len].copy_from_slice(&self.data[at..at + len]);
            return Some(Datagram {
                len,
                src,
                dst: self.dsts[i],
            });
        }
        None
    }

    /// Receives up to [`BATCH`] datagrams from `fd`, waiting (within the
    /// socket's receive timeout) for the first only; the number received.
    pub(crate) fn fill(&mut self, fd: RawFd) -> io::Result<usize> {
        self.next = 0;
        self.count = 0;
        let slot = self.slot;
        let mut addrs = [A::unspecified().to_raw(); BATCH];
        let mut cmsgs = [[0u64; CMSG_WORDS]; BATCH];
        let mut iovs: [libc::iovec; BATCH] = std::array::from_fn(|i| libc::iovec {
            iov_base: self.data[i * slot..].as_mut_ptr().cast(),
            iov_len: slot,
        });
        let mut hdrs: [libc::mmsghdr; BATCH] = std::array::from_fn(|i| {
            let mut h = zeroed_mmsghdr();
            h.msg_hdr.msg_name = std::ptr::from_mut(&mut addrs[i]).cast();
            h.msg_hdr.msg_namelen = raw_len::<A>();
            h.msg_hdr.msg_iov = std::ptr::from_mut(&mut iovs[i]);
            h.msg_hdr.msg_iovlen = 1;
            if A::PKTINFO {
                h.msg_hdr.msg_control = cmsgs[i].as_mut_ptr().cast();
                h.msg_hdr.msg_controllen = CMSG_WORDS * 8;
            }
            h
        });
        // SAFETY: `hdrs` holds BATCH valid headers, each pointing at its
        // own socket address in `addrs` (with its true length), its own
        // iovec in `iovs` (pointing at `slot` bytes of `self.data`) and,
        // for IPv6, its own aligned control buffer in `cmsgs` (with its
        // true length); all of them outlive the call, and the kernel
        // writes at most the lengths given through them.
        #[allow(unsafe_code)]
        let n = unsafe {
            libc::recvmmsg(
                fd,
                hdrs.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_WAITFORONE,
                std::ptr::null_mut(),
            )
        };
        let n = usize::try_from(n).map_err(|_| io::Error::last_os_error())?;
        for (i, h) in hdrs.iter().enumerate().take(n.min(BATCH)) {
            self.lens[i] = h.msg_len as usize;
            self.srcs[i] = A::from_raw(&addrs[i]);
            self.dsts[i] = if A::PKTINFO {
                let mut bytes = [0u8; CMSG_WORDS * 8];
                for (b, w) in bytes.chunks_exact_mut(8).zip(cmsgs[i]) {
                    b.copy_from_slice(&w.to_ne_bytes());
                }
                let len = h.msg_hdr.msg_controllen.min(bytes.len());
                pktinfo_dst(&bytes[..len])
            } else {
                None
            };
        }
        self.count = n.min(BATCH);
        Ok(self.count)
    }
}

/// The destination address of an `IPV6_PKTINFO` control message among
/// the control messages `buf` (as the kernel wrote them: `cmsghdr`
/// headers, each followed by its data, aligned to 8 bytes).
fn pktinfo_dst(buf: &[u8]) -> Option<Ipv6Addr> {
    const HDR: usize = std::mem::size_of::<libc::cmsghdr>();
    let mut at = 0;
    while at + HDR <= buf.len() {
        const W: usize = std::mem::size_of::<usize>();
        let word = |o: usize, n: usize| buf.get(at + o..at + o + n);
        // `cmsg_len` is a size_t, then the two ints.
        let len = usize::from_ne_bytes(word(0, W)?.try_into().ok()?);
        let level = i32::from_ne_bytes(word(W, 4)?.try_into().ok()?);
        let kind = i32::from_ne_bytes(word(W + 4, 4)?.try_into().ok()?);
        if len < HDR {
            return None;
        }
        if level == libc::IPPROTO_IPV6 && kind == libc::IPV6_PKTINFO && len >= HDR + 16 {
            let a: [u8; 16] = word(HDR, 16)?.try_into().ok()?;
            return Some(Ipv6Addr::from(a));
        }
        at += len.div_ceil(8) * 8;
    }
    None
}

fn raw_len<A: Addr>() -> libc::socklen_t {
    std::mem::size_of::<A::Raw>() as libc::socklen_t
}

fn zeroed_mmsghdr() -> libc::mmsghdr {
    // SAFETY: `mmsghdr` is a plain C struct of integers and raw pointers,
    // for which all zero bytes (null pointers, zero lengths) is valid.
    #[allow(unsafe_code)]
    unsafe {
        std::mem::zeroed()
    }
}

/// Sends each `(bytes, destination)` of `msgs` on `fd`, up to [`BATCH`]
/// per `sendmmsg`; returns how many were sent. It stops at the first
/// datagram the kernel refuses; the error is returned only when none was
/// sent (the caller sends the rest one by one to learn each one's fate).
pub(crate) fn send_many<A: Addr>(fd: RawFd, msgs: &[(&[u8], A)]) -> io::Result<usize> {
    let mut sent = 0;
    for chunk in msgs.chunks(BATCH) {
        let mut addrs = [A::unspecified().to_raw(); BATCH];
        let mut iovs = [libc::iovec {
            iov_base: std::ptr::null_mut(),
            iov_len: 0,
        }; BATCH];
        let mut hdrs: [libc::mmsghdr; BATCH] = std::array::from_fn(|_| zeroed_mmsghdr());
        for (i, (bytes, to)) in chunk.iter().enumerate() {
            addrs[i] = to.to_raw();
            // The kernel only reads through this pointer (sendmmsg).
            iovs[i].iov_base = bytes.as_ptr().cast_mut().cast();
            iovs[i].iov_len = bytes.len();
            hdrs[i].msg_hdr.msg_name = std::ptr::from_mut(&mut addrs[i]).cast();
            hdrs[i].msg_hdr.msg_namelen = raw_len::<A>();
            hdrs[i].msg_hdr.msg_iov = std::ptr::from_mut(&mut iovs[i]);
            hdrs[i].msg_hdr.msg_iovlen = 1;
        }
        // SAFETY: the first `chunk.len()` headers each point at their own
        // initialized socket address and iovec, the iovec at the caller's
        // bytes, all alive for the call; sendmmsg only reads the payloads.
        #[allow(unsafe_code)]
        let n = unsafe { libc::sendmmsg(fd, hdrs.as_mut_ptr(), chunk.len() as libc::c_uint, 0) };
        match usize::try_from(n) {
            Ok(n) => {
                sent += n;
                if n < chunk.len() {
                    return Ok(sent);
                }
            }
            Err(_) if sent == 0 => return Err(io::Error::last_os_error()),
            Err(_) => return Ok(sent),
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{SocketAddr, UdpSocket};
    use std::os::fd::AsRawFd;
    use std::time::Duration;

    fn v4(s: &UdpSocket) -> SocketAddrV4 {
        match s.local_addr().unwrap() {
            SocketAddr::V4(a) => a,
            SocketAddr::V6(_) => unreachable!(),
        }
    }

    /// Datagrams sent in one `sendmmsg` arrive, and `recvmmsg` takes every
    /// one waiting, in order, with its sender.
    #[test]
    fn a_batch_goes_out_and_comes_back() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let (to, from) = (v4(&rx), v4(&tx));
        let payloads: Vec<Vec<u8>> = (0..20u8).map(|i| vec![i; 10 + usize::from(i)]).collect();
        let msgs: Vec<(&[u8], SocketAddrV4)> = payloads.iter().map(|p| (&p[..], to)).collect();
        assert_eq!(send_many(tx.as_raw_fd(), &msgs).unwrap(), 20);
        let mut q = RxQueue::<SocketAddrV4>::new(4096);
        let mut got = Vec::new();
        let mut buf = [0u8; 64];
        while got.len() < 20 {
            if !q.pending() {
                let n = q.fill(rx.as_raw_fd()).unwrap();
                assert!((1..=BATCH).contains(&n));
            }
            while let Some(d) = q.pop(&mut buf) {
                assert_eq!(d.src, from);
                assert_eq!(d.dst, None);
                got.push(buf[..d.len].to_vec());
            }
        }
        assert_eq!(got, payloads);
        // Nothing left: the receive timeout ends the wait.
        let e = q.fill(rx.as_raw_fd()).unwrap_err();
        assert!(matches!(
            e.kind(),
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
        ));
    }

    /// A datagram longer than the caller's buffer is cut to it.
    #[test]
    fn pop_truncates_to_the_buffer() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.send_to(&[7u8; 100], v4(&rx)).unwrap();
        let mut q = RxQueue::<SocketAddrV4>::new(4096);
        assert_eq!(q.fill(rx.as_raw_fd()).unwrap(), 1);
        let mut small = [0u8; 10];
        assert_eq!(q.pop(&mut small).map(|d| d.len), Some(10));
        assert!(!q.pending());
    }

    /// IPv6: each datagram comes with its destination (IPV6_PKTINFO) and
    /// its sender's port.
    #[test]
    fn ipv6_datagrams_come_with_their_destination() {
        let rx = UdpSocket::bind("[::1]:0").expect("IPv6 loopback (the DHCPv6 tests need it too)");
        nix::sys::socket::setsockopt(&rx, nix::sys::socket::sockopt::Ipv6RecvPacketInfo, &true)
            .unwrap();
        let tx = UdpSocket::bind("[::1]:0").unwrap();
        let (SocketAddr::V6(to), SocketAddr::V6(from)) =
            (rx.local_addr().unwrap(), tx.local_addr().unwrap())
        else {
            unreachable!()
        };
        let msgs: Vec<(&[u8], SocketAddrV6)> = vec![(b"one", to), (b"two", to)];
        assert_eq!(send_many(tx.as_raw_fd(), &msgs).unwrap(), 2);
        let mut q = RxQueue::<SocketAddrV6>::new(1024);
        let mut buf = [0u8; 16];
        let mut got = Vec::new();
        while got.len() < 2 {
            if !q.pending() {
                q.fill(rx.as_raw_fd()).unwrap();
            }
            while let Some(d) = q.pop(&mut buf) {
                assert_eq!(d.src.port(), from.port());
                assert_eq!(d.dst, Some(Ipv6Addr::LOCALHOST));
                got.push(buf[..d.len].to_vec());
            }
        }
        assert_eq!(got, [b"one".to_vec(), b"two".to_vec()]);
    }

    #[test]
    fn pktinfo_is_found_among_control_messages() {
        let mut b = Vec::new();
        // Another message first (IP_TTL-like: level 0, 4 bytes of data).
        b.extend_from_slice(&20usize.to_ne_bytes());
        b.extend_from_slice(&0i32.to_ne_bytes());
        b.extend_from_slice(&2i32.to_ne_bytes());
        b.extend_from_slice(&[64, 0, 0, 0, 0, 0, 0, 0]);
        let a: Ipv6Addr = "2001:db8::5".parse().unwrap();
        b.extend_from_slice(&36usize.to_ne_bytes());
        b.extend_from_slice(&libc::IPPROTO_IPV6.to_ne_bytes());
        b.extend_from_slice(&libc::IPV6_PKTINFO.to_ne_bytes());
        b.extend_from_slice(&a.octets());
        b.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 0]);
        assert_eq!(pktinfo_dst(&b), Some(a));
        assert_eq!(pktinfo_dst(&b[..24]), None);
        assert_eq!(pktinfo_dst(&[0; 8]), None);
    }
}
