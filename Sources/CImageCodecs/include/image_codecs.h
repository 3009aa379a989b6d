// A small C layer between ImageData and libjpeg/libpng.
//
// Both libraries report fatal errors by calling a handler that must not return
// (libjpeg's error_exit, libpng's png_error). Swift cannot setjmp/longjmp, so every
// entry point here owns one setjmp: on failure it returns a nonzero status and copies
// the library's message into `message` (always NUL-terminated). Nothing is printed.
// Inputs are whole files in memory; outputs go into caller-allocated buffers whose
// capacity is checked against the decoded size.
#ifndef GRAFT_IMAGE_CODECS_H
#define GRAFT_IMAGE_CODECS_H

#include <stddef.h>
#include <stdint.h>

/// What a JPEG header says, read without decoding pixels.
typedef struct {
    uint32_t width;
    uint32_t height;
    /// Components in the file: 1 (gray), 3 (YCbCr/RGB) or 4 (CMYK/YCCK).
    int32_t components;
    /// 1 when the file is CMYK or YCCK (decode with 4 output channels).
    int32_t is_cmyk;
    /// 1 when the file has an Adobe APP14 marker (CMYK values are then stored inverted).
    int32_t adobe_marker;
} graft_jpeg_header;

/// Reads the JPEG header. Returns 0 on success.
int graft_jpeg_read_header(const uint8_t *data, size_t size, graft_jpeg_header *header,
                           char *message, size_t message_capacity);

/// Decodes a JPEG to interleaved 8-bit pixels: `channels` 3 gives RGB (from gray, YCbCr
/// or RGB files), 4 gives the file's CMYK as stored. `pixels` must hold exactly
/// width*height*channels bytes. A file that ends early is an error. Returns 0 on success.
int graft_jpeg_decode(const uint8_t *data, size_t size, int channels,
                      uint8_t *pixels, size_t pixels_capacity,
                      char *message, size_t message_capacity);

/// What a PNG IHDR says.
typedef struct {
    uint32_t width;
    uint32_t height;
    int32_t bit_depth;
    int32_t color_type;
} graft_png_header;

/// Reads the PNG signature and chunks up to the image data. Returns 0 on success.
int graft_png_read_header(const uint8_t *data, size_t size, graft_png_header *header,
                          char *message, size_t message_capacity);

/// Decodes a PNG to interleaved RGBA, 8 bits per channel: palettes and gray are expanded,
/// tRNS becomes alpha, 16-bit samples are scaled (rounded) to 8 bits, opaque images get
/// alpha 255. `pixels` must hold exactly width*height*4 bytes. Returns 0 on success.
int graft_png_decode_rgba8(const uint8_t *data, size_t size,
                           uint8_t *pixels, size_t pixels_capacity,
                           char *message, size_t message_capacity);

#endif
