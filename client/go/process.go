package socketlab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	pb "socketlab/client/gen/socketlab/v1"
)

// Linux constants the wrapper and the example need (x86_64 values).
const (
	AF_UNIX     = 1
	AF_INET     = 2
	SOCK_STREAM = 1
	F_GETFL     = 3
	F_SETFL     = 4
	O_NONBLOCK  = 0o4000
)

// Process is one emulated process on a socketlabd host. It lives as long as
// its Process/Session stream: Close ends it and its descriptors close, as on
// exit(2).
type Process struct {
	Handle  string
	Pid     int32
	conn    *grpc.ClientConn
	owns    bool
	calls   pb.SocketCallClient
	session grpc.BidiStreamingClient[pb.SessionRequest, pb.SessionResponse]
	cancel  context.CancelFunc
}

// Dial opens a process on the daemon at target ("HOST:PORT").
func Dial(target string) (*Process, error) {
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	p, err := Open(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	p.owns = true
	return p, nil
}

// Open opens a process over an existing connection (Close leaves it open).
func Open(conn *grpc.ClientConn) (*Process, error) {
	ctx, cancel := context.WithCancel(context.Background())
	session, err := pb.NewProcessClient(conn).Session(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	open := &pb.SessionRequest{Kind: &pb.SessionRequest_Open{Open: &pb.OpenProcess{}}}
	if err := session.Send(open); err != nil {
		cancel()
		return nil, err
	}
	first, err := session.Recv()
	if err != nil {
		cancel()
		return nil, err
	}
	opened := first.GetOpened()
	if opened == nil {
		cancel()
		return nil, fmt.Errorf("socketlabd did not open a process: %v", first)
	}
	return &Process{Handle: opened.Process, Pid: opened.Pid, conn: conn, calls: pb.NewSocketCallClient(conn),
		session: session, cancel: cancel}, nil
}

// Close ends the process (its descriptors close), then the connection if Dial made it.
func (p *Process) Close() error {
	p.session.CloseSend()
	for { // the daemon ends the stream once the process has exited
		if _, err := p.session.Recv(); err != nil {
			break
		}
	}
	p.cancel()
	if p.owns {
		return p.conn.Close()
	}
	return nil
}

// UnixAddr is an AF_UNIX address: a path in the emulated host's filesystem.
func UnixAddr(path string) *pb.SockAddr {
	return &pb.SockAddr{Form: &pb.SockAddr_Local{Local: &pb.LocalAddress{Path: []byte(path)}}}
}

// InetAddr is an AF_INET address: a dotted-quad IPv4 address and a port.
func InetAddr(ip string, port uint16) *pb.SockAddr {
	return &pb.SockAddr{Form: &pb.SockAddr_Inet{Inet: &pb.InetAddress{Address: ip, Port: uint32(port)}}}
}

// check turns a reply's Result into the return value or an *os.SyscallError
// wrapping the syscall.Errno.
func check(op string, r *pb.Result) (int64, error) {
	if r == nil {
		return 0, fmt.Errorf("%s: reply without a result", op)
	}
	if r.TimedOut {
		return 0, os.NewSyscallError(op, syscall.ETIMEDOUT)
	}
	if r.ErrorNumber != 0 {
		return 0, os.NewSyscallError(op, syscall.Errno(r.ErrorNumber))
	}
	return r.Ret, nil
}

type resulter interface{ GetResult() *pb.Result }

// last reads a blocking call's stream up to its result (progress events skipped).
func last[T any, PT interface {
	*T
	resulter
}](stream grpc.ServerStreamingClient[T], err error) (PT, error) {
	if err != nil {
		return nil, err
	}
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("stream ended without a result")
		}
		if err != nil {
			return nil, err
		}
		if PT(msg).GetResult() != nil {
			return msg, nil
		}
	}
}

// Socket is socket(2).
func (p *Process) Socket(ctx context.Context, family, typ, protocol int32) (int32, error) {
	r, err := p.calls.Socket(ctx, &pb.SocketRequest{Process: p.Handle, Family: family, Type: typ, Protocol: protocol})
	if err != nil {
		return -1, err
	}
	fd, err := check("socket", r.Result)
	return int32(fd), err
}

// Bind is bind(2).
func (p *Process) Bind(ctx context.Context, fd int32, addr *pb.SockAddr) error {
	r, err := p.calls.Bind(ctx, &pb.BindRequest{Process: p.Handle, Fd: fd, Address: addr})
	if err != nil {
		return err
	}
	_, err = check("bind", r.Result)
	return err
}

// Listen is listen(2).
func (p *Process) Listen(ctx context.Context, fd, backlog int32) error {
	r, err := p.calls.Listen(ctx, &pb.ListenRequest{Process: p.Handle, Fd: fd, Backlog: backlog})
	if err != nil {
		return err
	}
	_, err = check("listen", r.Result)
	return err
}

// Connect is connect(2); it returns when the call completes.
func (p *Process) Connect(ctx context.Context, fd int32, addr *pb.SockAddr) error {
	r, err := last(p.calls.Connect(ctx, &pb.ConnectRequest{Process: p.Handle, Fd: fd, Address: addr}))
	if err != nil {
		return err
	}
	_, err = check("connect", r.Result)
	return err
}

// Accept is accept(2): the new descriptor. Cancelling ctx interrupts it (EINTR, nothing dequeued).
func (p *Process) Accept(ctx context.Context, fd int32) (int32, error) {
	r, err := last(p.calls.Accept(ctx, &pb.AcceptRequest{Process: p.Handle, Fd: fd, NoAddress: true}))
	if err != nil {
		return -1, err
	}
	nfd, err := check("accept", r.Result)
	return int32(nfd), err
}

// Send is send(2): how many bytes were taken.
func (p *Process) Send(ctx context.Context, fd int32, data []byte, flags int32) (int, error) {
	r, err := last(p.calls.Send(ctx, &pb.SendRequest{Process: p.Handle, Fd: fd, Data: data, Flags: flags}))
	if err != nil {
		return 0, err
	}
	n, err := check("send", r.Result)
	return int(n), err
}

// SendAll sends all of data (send(2) in a loop).
func (p *Process) SendAll(ctx context.Context, fd int32, data []byte) error {
	for len(data) > 0 {
		n, err := p.Send(ctx, fd, data, 0)
		if err != nil {
			return err
		}
		data = data[n:]
	}
	return nil
}

// Recv is recv(2): up to size bytes, empty at EOF.
func (p *Process) Recv(ctx context.Context, fd int32, size uint32, flags int32) ([]byte, error) {
	r, err := last(p.calls.Recv(ctx, &pb.RecvRequest{Process: p.Handle, Fd: fd, Size: size, Flags: flags}))
	if err != nil {
		return nil, err
	}
	if _, err := check("recv", r.Result); err != nil {
		return nil, err
	}
	return r.Data, nil
}

// RecvFull receives exactly n bytes; io.ErrUnexpectedEOF if the peer closes first.
func (p *Process) RecvFull(ctx context.Context, fd int32, n int) ([]byte, error) {
	out := make([]byte, 0, n)
	for len(out) < n {
		chunk, err := p.Recv(ctx, fd, uint32(min(n-len(out), 1<<20)), 0)
		if err != nil {
			return out, err
		}
		if len(chunk) == 0 {
			return out, io.ErrUnexpectedEOF
		}
		out = append(out, chunk...)
	}
	return out, nil
}

// Fcntl is fcntl(2).
func (p *Process) Fcntl(ctx context.Context, fd, cmd int32, arg int64) (int64, error) {
	r, err := p.calls.Fcntl(ctx, &pb.FcntlRequest{Process: p.Handle, Fd: fd, Cmd: cmd, Arg: arg})
	if err != nil {
		return 0, err
	}
	return check("fcntl", r.Result)
}

// SetNonblock puts the descriptor's file in (or out of) O_NONBLOCK.
func (p *Process) SetNonblock(ctx context.Context, fd int32, on bool) error {
	flags, err := p.Fcntl(ctx, fd, F_GETFL, 0)
	if err != nil {
		return err
	}
	if on {
		flags |= O_NONBLOCK
	} else {
		flags &^= O_NONBLOCK
	}
	_, err = p.Fcntl(ctx, fd, F_SETFL, flags)
	return err
}

// CloseFd is close(2).
func (p *Process) CloseFd(ctx context.Context, fd int32) error {
	r, err := p.calls.Close(ctx, &pb.CloseRequest{Process: p.Handle, Fd: fd})
	if err != nil {
		return err
	}
	_, err = check("close", r.Result)
	return err
}

// Unlink removes a name from the emulated host's filesystem.
func (p *Process) Unlink(ctx context.Context, path string) error {
	r, err := p.calls.Unlink(ctx, &pb.UnlinkRequest{Process: p.Handle, Path: []byte(path)})
	if err != nil {
		return err
	}
	_, err = check("unlink", r.Result)
	return err
}
