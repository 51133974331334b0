/* fixture.h - build small Docker data-roots in a temp dir for the layerstore tests.
 *
 * Expected values in the tests are hard-coded from the rules (doc §2) and computed with
 * independent tools (sha256sum, sha384sum), never with the code under test. The fixture
 * itself only needs SHA-256 to name image config files after their content; it uses libmd
 * directly for that.
 */
#ifndef LS_FIXTURE_H
#define LS_FIXTURE_H

#include <stddef.h>

#define HEX_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define HEX_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define HEX_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define D1 "sha256:" HEX_A
#define D2 "sha256:" HEX_B
#define D3 "sha256:" HEX_C
/* Doc §2 vectors, re-derived with:
 *   printf '%s' "sha256:$A sha256:$B" | sha256sum     (A/B/C = 64 x a/b/c)
 *   printf '%s' "sha256:$C2 sha256:$C" | sha256sum */
#define C1_HEX HEX_A
#define C2_HEX "ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c"
#define C3_HEX "c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588"
#define C2 "sha256:" C2_HEX
#define C3 "sha256:" C3_HEX

/* layers+base: base_layer "CN=Microsoft_WindowsServerCore_10.0.14300.1000"
 *   BL  = printf %s "$BASE" | sha384sum | cut -c1-64
 *   BD  = printf %s "$BL" | sha256sum                          (baseDiffID)
 *   BC2 = printf %s "sha256:$BD sha256:$A" | sha256sum         (ChainID of [BD, D1])
 *   BC3 = printf %s "sha256:$BC2 sha256:$B" | sha256sum        (ChainID of [BD, D1, D2]) */
#define BASE_LAYER "CN=Microsoft_WindowsServerCore_10.0.14300.1000"
#define BL_HEX "3c553f4caf50bf32226f3b69c37b45d74b3a2e8727fa0c5cd500aaa7a996a71e"
#define BD_HEX "f49101ec2b31bc7c4e0df841993a63431258a9733bcf3f4740c2cb605fea6f24"
#define BC2_HEX "bc2477417961d237aaf2e3b187d4cc6fb690e80b0846f9b26466465f3714de68"
#define BC3_HEX "5965ffffb72d2c0b44975e23d60b89ecce8e298327391dfb097c0410a2a0adb1"

#define CACHE1 "1111111111111111111111111111111111111111111111111111111111111111"
#define CACHE2 "2222222222222222222222222222222222222222222222222222222222222222"
#define CACHE3 "3333333333333333333333333333333333333333333333333333333333333333"
#define CACHEB "4444444444444444444444444444444444444444444444444444444444444444"

#define CID1 "abc1230000000000000000000000000000000000000000000000000000000000"
#define CID2 "abd4560000000000000000000000000000000000000000000000000000000000"
#define CID3 "ef01000000000000000000000000000000000000000000000000000000000000"
#define MOUNT_OV "9999999999999999999999999999999999999999999999999999999999999999"

/* The standard 3-layer image config, and its ID (printf %s "$JSON" | sha256sum). */
#define STD_IMAGE_JSON                                                                             \
    "{\"architecture\":\"amd64\",\"os\":\"windows\",\"os.version\":\"10.0.14393.1066\","           \
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" D1 "\",\"" D2 "\",\"" D3 "\"]}}"

struct fx {
    char root[128];
    const char *driver;
    char image_hex[65]; /* the standard image, after fx_std */
};

void fx_init(struct fx *f, const char *driver); /* empty root with image/<driver>/ */
void fx_cleanup(struct fx *f);

void fx_write_len(struct fx *f, const char *rel, const char *data, size_t len);
void fx_write(struct fx *f, const char *rel, const char *data);
void fx_writef(struct fx *f, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void fx_mkdir(struct fx *f, const char *rel);
void fx_symlink(struct fx *f, const char *target, const char *rel);
void fx_mkfifo(struct fx *f, const char *rel);
void fx_rm(struct fx *f, const char *rel); /* rm -rf */
void fx_mv(struct fx *f, const char *from, const char *to);
char *fx_path(struct fx *f, const char *rel); /* "<root>/<rel>", static buffer */

/* imagedb/content/sha256/<sha256(json)>; out receives the hex name. */
void fx_image(struct fx *f, const char *json, char out[65]);
/* layerdb/sha256/<chain_hex>/{diff,cache-id,parent?} */
void fx_layer(struct fx *f, const char *chain_hex, const char *diff, const char *parent,
              const char *cache_id);
/* The three layers of STD_IMAGE_JSON (cache ids CACHE1..3). */
void fx_std_layers(struct fx *f);
/* containers/<id>/{config.v2.json,hostconfig.json} with a minimal valid config, and
 * layerdb/mounts/<id>/{mount-id,init-id?,parent?}. mount_id NULL: the container ID. */
void fx_container(struct fx *f, const char *id, const char *name, const char *image_hex,
                  const char *mount_id, const char *init_id, const char *parent);
/* The standard root: STD image + its layers + container CID1 "web" on it. */
void fx_std(struct fx *f, const char *driver);

#endif
