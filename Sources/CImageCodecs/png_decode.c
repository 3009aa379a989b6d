// libpng calls the error function on fatal errors and expects it never to return.
// We record the message and longjmp back to the entry point that owns the setjmp.
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <png.h>

#include "image_codecs.h"

typedef struct {
    jmp_buf jump;
    char *message;
    size_t message_capacity;
    const uint8_t *data;
    size_t size;
    size_t offset;
    png_bytep *rows;
} graft_png_context;

static void fail(png_structp png, png_const_charp text) {
    graft_png_context *context = (graft_png_context *)png_get_error_ptr(png);
    if (context->message_capacity > 0) {
        snprintf(context->message, context->message_capacity, "%s", text);
    }
    longjmp(context->jump, 1);
}

static void ignore_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static void read_from_memory(png_structp png, png_bytep out, size_t length) {
    graft_png_context *context = (graft_png_context *)png_get_io_ptr(png);
    if (length > context->size - context->offset) {
        png_error(png, "file ends early (truncated)");
    }
    memcpy(out, context->data + context->offset, length);
    context->offset += length;
}

/// Creates the read structs and reads up to the image data. Returns NULL on failure
/// to allocate; libpng errors after that longjmp to `context->jump`.
static png_structp start_reading(graft_png_context *context, png_infop *info) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, context, fail, ignore_warning);
    if (png == NULL) return NULL;
    *info = png_create_info_struct(png);
    if (*info == NULL) {
        png_destroy_read_struct(&png, NULL, NULL);
        return NULL;
    }
    png_set_read_fn(png, context, read_from_memory);
    return png;
}

static void init_context(graft_png_context *context, const uint8_t *data, size_t size,
                         char *message, size_t message_capacity) {
    memset(context, 0, sizeof(*context));
    context->data = data;
    context->size = size;
    context->message = message;
    context->message_capacity = message_capacity;
    if (message_capacity > 0) message[0] = 0;
}

int graft_png_read_header(const uint8_t *data, size_t size, graft_png_header *header,
                          char *message, size_t message_capacity) {
    graft_png_context context;
    init_context(&context, data, size, message, message_capacity);
    png_infop info = NULL;
    png_structp png = start_reading(&context, &info);
    if (png == NULL) {
        snprintf(message, message_capacity, "out of memory");
        return 1;
    }
    if (setjmp(context.jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        return 1;
    }
    png_read_info(png, info);
    header->width = png_get_image_width(png, info);
    header->height = png_get_image_height(png, info);
    header->bit_depth = png_get_bit_depth(png, info);
    header->color_type = png_get_color_type(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

int graft_png_decode_rgba8(const uint8_t *data, size_t size,
                           uint8_t *pixels, size_t pixels_capacity,
                           char *message, size_t message_capacity) {
    graft_png_context context;
    init_context(&context, data, size, message, message_capacity);
    png_infop info = NULL;
    png_structp png = start_reading(&context, &info);
    if (png == NULL) {
        snprintf(message, message_capacity, "out of memory");
        return 1;
    }
    if (setjmp(context.jump)) {
        free(context.rows);
        png_destroy_read_struct(&png, &info, NULL);
        return 1;
    }
    png_read_info(png, info);
    png_set_expand(png);
    png_set_scale_16(png);
    png_set_gray_to_rgb(png);
    png_set_add_alpha(png, 0xFF, PNG_FILLER_AFTER);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    size_t width = png_get_image_width(png, info);
    size_t height = png_get_image_height(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if (png_get_channels(png, info) != 4 || png_get_bit_depth(png, info) != 8
        || row_bytes != width * 4 || row_bytes * height != pixels_capacity) {
        png_error(png, "decoded size differs from the header's");
    }
    context.rows = malloc(height * sizeof(png_bytep));
    if (context.rows == NULL) png_error(png, "out of memory for row pointers");
    for (size_t y = 0; y < height; y++) context.rows[y] = pixels + y * row_bytes;
    png_read_image(png, context.rows);
    png_read_end(png, NULL);
    free(context.rows);
    context.rows = NULL;
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}
