/* gw_csv: the CSV-folder input (take, move aside); the parser is gw_csvparse.c. See gw_csv.h. */
#include "gw_csv.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CSV_MAX_FILE_BYTES (256u << 20)

typedef struct csv_file {
    char *name;
    int64_t size, mtime;
} csv_file;

static int cmp_file(const void *a, const void *b)
{
    const csv_file *x = a, *y = b;
    if (x->mtime != y->mtime) return x->mtime < y->mtime ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* Move dir/name to done/name (done/name.N when taken). 0 or -1. */
static int move_aside(const char *dir, const char *done, const char *name)
{
    char from[4096], to[4200];
    snprintf(from, sizeof from, "%s/%s", dir, name);
    snprintf(to, sizeof to, "%s/%s", done, name);
    for (int i = 1; access(to, F_OK) == 0 && i < 10000; i++)
        snprintf(to, sizeof to, "%s/%s.%d", done, name, i);
    if (rename(from, to) == 0) return 0;
    fprintf(stderr, "citywall-gateway: cannot move %s to %s: %s\n", from, to, strerror(errno));
    return -1;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    struct stat st;
    if (fstat(fileno(fp), &st) != 0 || (size_t)st.st_size > CSV_MAX_FILE_BYTES) {
        fclose(fp);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t got = buf ? fread(buf, 1, (size_t)st.st_size, fp) : 0;
    fclose(fp);
    if (!buf || got != (size_t)st.st_size) {
        free(buf);
        return NULL;
    }
    buf[got] = '\0';
    *len = got;
    return buf;
}

/* Take one file: 1 taken, 0 refused for now (outbox full), -1 error. */
static int take_file(gw_taker *t, const gw_input *in, const char *done, const csv_file *f)
{
    int known = gw_outbox_file_taken(t->ob, in->name, f->name, f->size, f->mtime);
    if (known < 0) return -1;
    if (known) /* taken before a crash that came before the move */
        return move_aside(in->dir, done, f->name) == 0 ? 1 : -1;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", in->dir, f->name);
    size_t len = 0;
    char *text = read_file(path, &len);
    if (!text) {
        fprintf(stderr, "citywall-gateway: input %s: cannot read %s\n", in->name, path);
        return -1;
    }
    json_t *rows = gw_csv_parse(text, len, in->delimiter);
    free(text);
    if (!rows) return -1;
    int rc = gw_take_begin(t);
    if (rc < 0) {
        json_decref(rows);
        return rc == -2 ? 0 : -1;
    }
    size_t i;
    json_t *rec;
    json_array_foreach(rows, i, rec)
    {
        char ref[300];
        snprintf(ref, sizeof ref, "%s:%lld", f->name,
                 (long long)json_integer_value(json_object_get(rec, "__line")));
        const char *err = json_string_value(json_object_get(rec, "__error"));
        if (err)
            rc = gw_take_bad(t, in, ref, err, json_string_value(json_object_get(rec, "__raw")));
        else {
            json_t *copy = json_copy(rec);
            json_object_del(copy, "__line");
            json_object_del(copy, "__raw");
            rc = gw_take_record(t, in, copy, ref, NULL, 0);
            json_decref(copy);
        }
        if (rc < 0) break;
    }
    json_decref(rows);
    if (rc < 0 || gw_outbox_mark_file(t->ob, in->name, f->name, f->size, f->mtime) < 0) {
        gw_take_rollback(t);
        return -1;
    }
    if (gw_take_commit(t) < 0) return -1;
    move_aside(in->dir, done, f->name);
    return 1;
}

int gw_csv_scan(gw_taker *t, const gw_input *in)
{
    char done[4096];
    if (in->done_dir)
        snprintf(done, sizeof done, "%s", in->done_dir);
    else
        snprintf(done, sizeof done, "%s/done", in->dir);
    DIR *d = opendir(in->dir);
    if (!d) return -1;
    mkdir(done, 0750);
    csv_file *files = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    size_t sl = strlen(in->suffix);
    while ((de = readdir(d))) {
        size_t nl = strlen(de->d_name);
        if (de->d_name[0] == '.' || nl <= sl || strcmp(de->d_name + nl - sl, in->suffix)) continue;
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", in->dir, de->d_name);
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            csv_file *v = realloc(files, cap * sizeof *v);
            if (!v) break;
            files = v;
        }
        files[n].name = strdup(de->d_name);
        files[n].size = (int64_t)st.st_size;
        files[n].mtime = (int64_t)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
        if (files[n].name) n++;
    }
    closedir(d);
    if (n) qsort(files, n, sizeof *files, cmp_file);
    int taken = 0, rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (rc >= 0) {
            rc = take_file(t, in, done, &files[i]);
            if (rc > 0) taken++;
            if (rc == 0) rc = -2; /* full: stop this round, keep the order */
        }
        free(files[i].name);
    }
    free(files);
    return rc == -1 ? -1 : taken;
}
