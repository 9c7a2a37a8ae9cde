//! Sockets through socket2, options, and the kernel's own view of a socket (FIONREAD,
//! SIOCOUTQ, TCP_INFO).
