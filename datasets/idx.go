package datasets

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IDX magic numbers of the MNIST files.
const (
	// IDXMagicImages = 0x00000803: unsigned bytes, 3 dimensions [N, H, W].
	IDXMagicImages = 2051
	// IDXMagicLabels = 0x00000801: unsigned bytes, 1 dimension [N].
	IDXMagicLabels = 2049
)

// maxIDXBytes bounds the payload ReadIDX accepts (1 GiB), so a corrupt header cannot make it
// allocate without limit.
const maxIDXBytes = 1 << 30

// IDX is a parsed IDX file (the format of the MNIST distribution): an n-dimensional array of
// unsigned bytes stored row-major.
type IDX struct {
	// Magic is the 4-byte big-endian header: 0, 0, the element type (0x08 = unsigned byte) and
	// the number of dimensions; 2051 for MNIST images, 2049 for labels.
	Magic uint32
	// Dims are the dimensions, outermost first, e.g. [60000 28 28].
	Dims []int
	// Data holds the Π Dims elements, row-major.
	Data []uint8
}

// ReadIDX parses an IDX stream of unsigned bytes (element type 0x08), gzip-compressed or not
// (it looks for the gzip magic 1f 8b). The layout is a big-endian uint32 magic
// 0x0000 08 nd, nd big-endian uint32 dimensions, then Π dims bytes, and nothing after. It
// returns an error naming the problem for a wrong magic, an unsupported element type, a
// truncated header or payload, trailing bytes, or a corrupt gzip stream.
func ReadIDX(r io.Reader) (*IDX, error) {
	br := bufio.NewReader(r)
	if head, err := br.Peek(2); err == nil && head[0] == 0x1f && head[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("datasets: IDX: corrupt gzip header: %w", err)
		}
		defer zr.Close()
		return readIDX(zr)
	}
	return readIDX(br)
}

func readIDX(r io.Reader) (*IDX, error) {
	var hdr [4]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, fmt.Errorf("datasets: IDX: truncated: read %d of the 4 magic bytes: %w", n, err)
	}
	magic := binary.BigEndian.Uint32(hdr[:])
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, fmt.Errorf("datasets: IDX: bad magic 0x%08x: the first two bytes must be zero (MNIST images are 0x%08x, labels 0x%08x)",
			magic, IDXMagicImages, IDXMagicLabels)
	}
	if hdr[2] != 0x08 {
		return nil, fmt.Errorf("datasets: IDX: magic 0x%08x has element type 0x%02x; only unsigned bytes (0x08) are supported", magic, hdr[2])
	}
	nd := int(hdr[3])
	if nd == 0 {
		return nil, fmt.Errorf("datasets: IDX: magic 0x%08x declares 0 dimensions", magic)
	}
	dimBytes := make([]byte, 4*nd)
	if n, err := io.ReadFull(r, dimBytes); err != nil {
		return nil, fmt.Errorf("datasets: IDX: truncated header: read %d of the %d dimension bytes: %w", n, 4*nd, err)
	}
	dims := make([]int, nd)
	size := int64(1)
	for i := range dims {
		dims[i] = int(binary.BigEndian.Uint32(dimBytes[4*i:]))
		size *= int64(dims[i])
		if size > maxIDXBytes {
			return nil, fmt.Errorf("datasets: IDX: dimensions %v exceed the %d-byte limit", dims, maxIDXBytes)
		}
	}
	// Read through a limit so a truncated file never makes us allocate the declared size.
	data, err := io.ReadAll(io.LimitReader(r, size))
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, fmt.Errorf("datasets: IDX: truncated: the compressed stream ended after %d of the %d data bytes of dimensions %v",
			len(data), size, dims)
	}
	if err != nil {
		return nil, fmt.Errorf("datasets: IDX: reading the %d data bytes: %w", size, err)
	}
	if int64(len(data)) < size {
		return nil, fmt.Errorf("datasets: IDX: truncated: dimensions %v need %d data bytes, the stream ended after %d", dims, size, len(data))
	}
	var extra [1]byte
	switch n, err := io.ReadFull(r, extra[:]); {
	case n > 0:
		return nil, fmt.Errorf("datasets: IDX: trailing bytes after the %d data bytes of dimensions %v", size, dims)
	case err != io.EOF: // e.g. a gzip checksum mismatch, reported at the end of the stream.
		return nil, fmt.Errorf("datasets: IDX: after the data: %w", err)
	}
	return &IDX{Magic: magic, Dims: dims, Data: data}, nil
}
