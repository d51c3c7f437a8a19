// gobgp-inject puts N consecutive IPv4 /32 paths into gobgpd's global RIB over its gRPC API
// (AddPathStream, many paths per message) and returns only once gobgpd has acknowledged the
// whole stream, so the caller knows every path is in the RIB.
//
// The Debian gobgp 3.10 CLI cannot do this: 'gobgp mrt inject global' exits without waiting
// for the stream's acknowledgement and gobgpd keeps only part of the paths, and 'gobgp global
// rib add' costs one process and one RPC per path.
//
// Built by speakers.sh in GOPATH mode against Debian's packaged sources
// (apt-get install golang-go golang-github-osrg-gobgp-dev).
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/apiutil"
	"github.com/osrg/gobgp/v3/pkg/packet/bgp"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// protoCodec encodes with google.golang.org/protobuf itself: in Debian's GOPATH, grpc's
// default codec goes through the older github.com/golang/protobuf, which fails to decode
// gobgpd's reply to CloseAndRecv (an APIv2 emptypb.Empty).
type protoCodec struct{}

func (protoCodec) Marshal(v interface{}) ([]byte, error) { return proto.Marshal(v.(proto.Message)) }
func (protoCodec) Unmarshal(data []byte, v interface{}) error {
	return proto.Unmarshal(data, v.(proto.Message))
}
func (protoCodec) Name() string { return "proto" }

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "gobgp-inject: "+format+"\n", args...)
	os.Exit(1)
}

func main() {
	target := flag.String("target", "127.0.0.1:50051", "gobgpd gRPC address")
	count := flag.Int("n", 0, "number of /32 paths (198.18.0.0 upwards)")
	nextHop := flag.String("nexthop", "", "NEXT_HOP of every path")
	perMessage := flag.Int("batch", 1000, "paths per stream message")
	deadline := flag.Duration("timeout", 120*time.Second, "bound on the whole injection")
	flag.Parse()
	if *count < 1 || *count > 131072 || *perMessage < 1 || net.ParseIP(*nextHop).To4() == nil {
		fail("need -n 1..131072 (198.18.0.0/15 holds 131072 /32s), -batch >= 1 and an IPv4 -nexthop")
	}

	ctx, cancel := context.WithTimeout(context.Background(), *deadline)
	defer cancel()
	conn, err := grpc.DialContext(ctx, *target, grpc.WithInsecure(), grpc.WithBlock(),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(protoCodec{})))
	if err != nil {
		fail("connecting to %s: %v", *target, err)
	}
	defer conn.Close()
	stream, err := api.NewGobgpApiClient(conn).AddPathStream(ctx)
	if err != nil {
		fail("opening AddPathStream: %v", err)
	}
	// ORIGIN IGP, empty AS_PATH (gobgpd prepends its AS towards eBGP peers), NEXT_HOP
	attrs, err := apiutil.MarshalPathAttributes([]bgp.PathAttributeInterface{
		bgp.NewPathAttributeOrigin(bgp.BGP_ORIGIN_ATTR_TYPE_IGP),
		bgp.NewPathAttributeAsPath(nil),
		bgp.NewPathAttributeNextHop(*nextHop),
	})
	if err != nil {
		fail("encoding attributes: %v", err)
	}
	ipv4Unicast := &api.Family{Afi: api.Family_AFI_IP, Safi: api.Family_SAFI_UNICAST}
	first := binary.BigEndian.Uint32(net.ParseIP("198.18.0.0").To4())
	addr := make(net.IP, 4)
	batch := make([]*api.Path, 0, *perMessage)
	for i := 0; i < *count; i++ {
		binary.BigEndian.PutUint32(addr, first+uint32(i))
		nlri, err := apiutil.MarshalNLRI(bgp.NewIPAddrPrefix(32, addr.String()))
		if err != nil {
			fail("encoding %s/32: %v", addr, err)
		}
		batch = append(batch, &api.Path{Family: ipv4Unicast, Nlri: nlri, Pattrs: attrs})
		if len(batch) == *perMessage || i == *count-1 {
			if err := stream.Send(&api.AddPathStreamRequest{TableType: api.TableType_GLOBAL, Paths: batch}); err != nil {
				fail("sending paths up to %s/32: %v", addr, err)
			}
			batch = make([]*api.Path, 0, *perMessage)
		}
	}
	if _, err := stream.CloseAndRecv(); err != nil {
		fail("gobgpd did not acknowledge the stream: %v", err)
	}
}
