// libjpeg calls error_exit on fatal errors and expects it never to return. We record
// the formatted message and longjmp back to the entry point that owns the setjmp.
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>

#include "image_codecs.h"

/// Progressive files with more scans than this are refused (a scan bomb would
/// otherwise make decoding take minutes).
enum { graft_jpeg_max_scans = 1000 };

typedef struct {
    struct jpeg_error_mgr base;
    struct jpeg_progress_mgr progress;
    jmp_buf jump;
    char *message;
    size_t message_capacity;
} graft_jpeg_context;

static void copy_message(char *message, size_t capacity, const char *text) {
    if (capacity == 0) return;
    snprintf(message, capacity, "%s", text);
}

static void fail_with_library_message(j_common_ptr cinfo) {
    graft_jpeg_context *context = (graft_jpeg_context *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    copy_message(context->message, context->message_capacity, buffer);
    longjmp(context->jump, 1);
}

/// Warnings are silent, except the one that means the data ends early:
/// libjpeg would fill the rest of the image with gray and call it success.
static void emit_message(j_common_ptr cinfo, int level) {
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) {
        fail_with_library_message(cinfo);
    }
}

static void output_nothing(j_common_ptr cinfo) { (void)cinfo; }

static void check_scan_count(j_common_ptr cinfo) {
    j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
    if (dinfo->input_scan_number > graft_jpeg_max_scans) {
        graft_jpeg_context *context = (graft_jpeg_context *)cinfo->err;
        snprintf(context->message, context->message_capacity,
                 "progressive JPEG has more than %d scans", graft_jpeg_max_scans);
        longjmp(context->jump, 1);
    }
}

static void install_handlers(struct jpeg_decompress_struct *cinfo, graft_jpeg_context *context,
                             char *message, size_t message_capacity) {
    cinfo->err = jpeg_std_error(&context->base);
    context->base.error_exit = fail_with_library_message;
    context->base.emit_message = emit_message;
    context->base.output_message = output_nothing;
    context->message = message;
    context->message_capacity = message_capacity;
    copy_message(message, message_capacity, "");
}

int graft_jpeg_read_header(const uint8_t *data, size_t size, graft_jpeg_header *header,
                           char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    graft_jpeg_context context;
    install_handlers(&cinfo, &context, message, message_capacity);
    if (setjmp(context.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    header->width = cinfo.image_width;
    header->height = cinfo.image_height;
    header->components = cinfo.num_components;
    header->is_cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
    header->adobe_marker = cinfo.saw_Adobe_marker ? 1 : 0;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int graft_jpeg_decode(const uint8_t *data, size_t size, int channels,
                      uint8_t *pixels, size_t pixels_capacity,
                      char *message, size_t message_capacity) {
    struct jpeg_decompress_struct cinfo;
    graft_jpeg_context context;
    install_handlers(&cinfo, &context, message, message_capacity);
    if (setjmp(context.jump)) {
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    jpeg_create_decompress(&cinfo);
    context.progress.progress_monitor = check_scan_count;
    cinfo.progress = &context.progress;
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (channels == 4) {
        if (cinfo.jpeg_color_space != JCS_CMYK && cinfo.jpeg_color_space != JCS_YCCK) {
            copy_message(message, message_capacity, "4-channel output requested for a non-CMYK JPEG");
            jpeg_destroy_decompress(&cinfo);
            return 1;
        }
        cinfo.out_color_space = JCS_CMYK;
    } else {
        cinfo.out_color_space = JCS_RGB;
    }
    jpeg_start_decompress(&cinfo);
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    if (cinfo.output_components != channels || row_bytes * cinfo.output_height != pixels_capacity) {
        copy_message(message, message_capacity, "decoded size differs from the header's");
        jpeg_destroy_decompress(&cinfo);
        return 1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = pixels + (size_t)cinfo.output_scanline * row_bytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    return 0;
}
