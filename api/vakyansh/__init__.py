"""The Vakyansh open speech API: one protocol (protocol) behind gRPC (grpc) and its REST transcoding (rest)."""
