package datasets

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"strings"
	"testing"
)

// idxBytes builds an IDX file: magic, big-endian dims, then data.
func idxBytes(magic uint32, dims []uint32, data []byte) []byte {
	var b bytes.Buffer
	_ = binary.Write(&b, binary.BigEndian, magic)
	for _, d := range dims {
		_ = binary.Write(&b, binary.BigEndian, d)
	}
	b.Write(data)
	return b.Bytes()
}

func gzipped(t *testing.T, raw []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(raw); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadIDXImagesAndLabels(t *testing.T) {
	pixels := []byte{0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255}
	images := idxBytes(IDXMagicImages, []uint32{2, 2, 3}, pixels)
	labels := idxBytes(IDXMagicLabels, []uint32{2}, []byte{7, 3})
	for _, compress := range []bool{false, true} {
		img, lab := images, labels
		if compress {
			img, lab = gzipped(t, images), gzipped(t, labels)
		}
		got, err := ReadIDX(bytes.NewReader(img))
		if err != nil {
			t.Fatalf("gzip=%v: %v", compress, err)
		}
		if got.Magic != 2051 || len(got.Dims) != 3 || got.Dims[0] != 2 || got.Dims[1] != 2 || got.Dims[2] != 3 || !bytes.Equal(got.Data, pixels) {
			t.Errorf("gzip=%v: images parsed as %+v", compress, got)
		}
		gl, err := ReadIDX(bytes.NewReader(lab))
		if err != nil {
			t.Fatalf("gzip=%v: %v", compress, err)
		}
		if gl.Magic != 2049 || len(gl.Dims) != 1 || gl.Dims[0] != 2 || !bytes.Equal(gl.Data, []byte{7, 3}) {
			t.Errorf("gzip=%v: labels parsed as %+v", compress, gl)
		}
	}
}

func TestReadIDXRejectsBadFiles(t *testing.T) {
	good := idxBytes(IDXMagicImages, []uint32{2, 2, 2}, make([]byte, 8))
	corruptGzip := gzipped(t, good)
	corruptGzip[len(corruptGzip)-6] ^= 0xff // the CRC-32 of the payload
	cases := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"short magic", []byte{0, 0, 8}, "truncated"},
		{"bad magic", idxBytes(0x12340803, []uint32{1}, []byte{0}), "bad magic"},
		{"text file", []byte("P5 28 28 255\n"), "bad magic"},
		{"float elements", idxBytes(0x00000D01, []uint32{1}, make([]byte, 4)), "element type 0x0d"},
		{"no dims", idxBytes(0x00000800, nil, nil), "0 dimensions"},
		{"truncated header", good[:9], "truncated header"},
		{"truncated data", good[:len(good)-3], "truncated: dimensions [2 2 2] need 8 data bytes, the stream ended after 5"},
		{"truncated gzip", gzipped(t, good)[:20], "truncated"},
		{"trailing bytes", append(append([]byte(nil), good...), 9), "trailing bytes"},
		{"corrupt gzip", corruptGzip, "checksum"},
		{"huge dims", idxBytes(IDXMagicImages, []uint32{1 << 20, 1 << 10, 1 << 10}, nil), "limit"},
	}
	for _, c := range cases {
		_, err := ReadIDX(bytes.NewReader(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q", c.name, err, c.want)
		}
	}
}
