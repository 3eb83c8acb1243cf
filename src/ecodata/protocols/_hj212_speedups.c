/*
 * _hj212_speedups: the fast lane of ecodata.protocols.hj212_frame.parse_packet, in C.
 *
 * parse_fast(frame) decodes the common HJ 212 frame (HJ 212-2017 §6.3.2 Tables 2 and 3):
 *
 *   "##" + 4 decimal digits (length L of the data segment) + data segment (L bytes)
 *   + 4 upper-case hex digits of the CRC16 of the data segment (Appendix A) [+ CR LF]
 *
 * whose data segment is plain ASCII, not SM4-encrypted ("CP=&&{0"), and laid out as the standard
 * writes it: QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;[PNUM=…;PNO=…;]CP=&&<data area>&& with no space,
 * no "//" and separators that alternate exactly. It returns the same Packet as the pure-Python
 * fast lane (hj212_frame.fast_lane with hj212_packet.parse_standard_segment), which stays the
 * reference; for anything else it returns None and Python decides. It raises TypeError when the
 * frame is not bytes and MemoryError when out of memory, nothing else.
 *
 * crc16(data) is the CRC of Appendix A for hj212_crc.crc16, and plain_numbers(texts) reads the
 * reading texts of a packet as numbers for the gateway when they are all plain decimal numbers.
 * steady_frames(data, head, names) and data_answers(qns, tail) are the gateway's steady lane
 * (hj212_steady.py, their pure-Python reference): the fields of reads whose frames repeat one
 * device's header and data layout, and the 9014 answers to them.
 *
 * configure(Packet, versions, standard, max_length, max_cp) is called once by hj212_frame at
 * import: the Packet class (a NamedTuple), the Version members indexed by their version bits
 * (Flag >> 2), CrcDialect.STANDARD and the limits of Tables 2 and 3 (1024 and 950 bytes). Until
 * it is called, parse_fast returns None.
 */

#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <math.h>
#include <stdint.h>
#include <string.h>

#define PACKET_FIELDS 18
#define VERSION_COUNT 3

/* --- CRC16 of HJ 212-2017 Appendix A ------------------------------------------------------- */

/*
 * Register 0xFFFF; per byte crc = (crc >> 8) ^ byte, then eight rounds of "shift right, XOR
 * 0xA001 if the bit shifted out was 1" (not CRC-16/MODBUS, which does crc ^= byte). With the
 * table T[x] of those eight rounds the step is crc = T[(crc >> 8) ^ byte]: the state between
 * bytes is one byte h = crc >> 8 and h' = M(h ^ byte) with M(x) = T[x] >> 8, a linear map of
 * order 8 over GF(2). Hence (see hj212_crc.py) the index used at the last byte is
 *   s = M^((n-1) mod 8)(0xFF) ^ XOR_j M^j(X_j)
 * where X_j is the XOR of the bytes whose distance from the last byte is j modulo 8, and the CRC
 * is T[s]. The X_j come from XOR-ing the segment as 8-byte words aligned to its end.
 */
static uint16_t crc_table[256];       /* T[x] */
static uint8_t crc_power[8][256];     /* M^j(x) */
static uint8_t crc_initial[8];        /* M^k(0xFF) */

static int
crc_prepare(void)
{
    for (unsigned x = 0; x < 256; x++) {
        unsigned crc = x;
        for (int round = 0; round < 8; round++) {
            crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
        }
        crc_table[x] = (uint16_t)crc;
    }
    for (unsigned x = 0; x < 256; x++) {
        crc_power[0][x] = (uint8_t)x;
    }
    for (int j = 1; j < 8; j++) {
        for (unsigned x = 0; x < 256; x++) {
            crc_power[j][x] = (uint8_t)(crc_table[crc_power[j - 1][x]] >> 8);
        }
    }
    for (unsigned x = 0; x < 256; x++) {
        if ((crc_table[crc_power[7][x]] >> 8) != x) {
            return -1; /* M would not have order 8: cannot happen for 0xA001 */
        }
    }
    for (int k = 0; k < 8; k++) {
        crc_initial[k] = crc_power[k][0xFF];
    }
    return 0;
}

static unsigned
crc16(const unsigned char *data, Py_ssize_t n)
{
    if (n == 0) {
        return 0xFFFF;
    }
    Py_ssize_t head = n & 7;
    uint64_t fold = 0;
    for (Py_ssize_t i = head; i < n; i += 8) {
        uint64_t word;
        memcpy(&word, data + i, 8);
        fold ^= word;
    }
    /* byte k of the folded word (in memory order) XORs the bytes at distance 7 - k (mod 8) */
    unsigned char x[8];
    memcpy(x, &fold, 8);
    for (Py_ssize_t i = 0; i < head; i++) {
        x[8 - head + i] ^= data[i];
    }
    unsigned s = crc_initial[(n - 1) & 7];
    for (int k = 0; k < 8; k++) {
        s ^= crc_power[7 - k][x[k]];
    }
    return crc_table[s];
}

/* --- what configure() provides, and constants ------------------------------------------------ */

static PyObject *packet_type = NULL;           /* the Packet class */
static PyObject *versions[VERSION_COUNT];      /* Version by Flag >> 2 */
static PyObject *standard_dialect = NULL;      /* CrcDialect.STANDARD */
static Py_ssize_t max_length = 1024;           /* HJ 212-2017 Table 2 */
static Py_ssize_t max_cp = 950;                /* HJ 212-2017 Table 3 */

static const char *const header_keys[8] = {"QN", "ST", "CN", "PW", "MN", "Flag", "PNUM", "PNO"};
static PyObject *header_names[8];
static PyObject *one_char[128];                /* the str of each ASCII character */
static PyObject *empty_str = NULL;
static PyObject *utf8_str = NULL;
static PyObject *violation_length = NULL;      /* "length-over-1024" */
static PyObject *violation_qn = NULL;          /* "qn-format" */
static PyObject *violation_st = NULL;          /* "st-format" */
static PyObject *violation_mn = NULL;          /* "mn-format" */
static PyObject *violation_cp = NULL;          /* "cp-over-950" */

static const char upper_hex[] = "0123456789ABCDEF";

/* A str of n ASCII bytes (the caller has checked they are ASCII). */
static PyObject *
ascii_str(const unsigned char *s, Py_ssize_t n)
{
    if (n == 1) {
        return Py_NewRef(one_char[s[0]]);
    }
    if (n == 0) {
        return Py_NewRef(empty_str);
    }
    PyObject *text = PyUnicode_New(n, 127);
    if (text != NULL) {
        memcpy(PyUnicode_1BYTE_DATA(text), s, (size_t)n);
    }
    return text;
}

static int
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

/* Whether s[0:n] is one or more ASCII digits (str.isdigit() of ASCII text). */
static int
all_digits(const unsigned char *s, Py_ssize_t n)
{
    if (n == 0) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!is_digit(s[i])) {
            return 0;
        }
    }
    return 1;
}

static long
digits_value(const unsigned char *s, Py_ssize_t n)
{
    long value = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        value = value * 10 + (s[i] - '0');
    }
    return value;
}

/* --- the data segment: hj212_packet.parse_standard_segment ---------------------------------- */

typedef struct {
    Py_ssize_t start, stop;
} Span;

/*
 * The Packet of the data segment s[0:size] of frame, or None (new reference to Py_None) when the
 * segment is not in the standard layout; NULL with an exception set when out of memory. The CRC
 * (crc_text, 4 bytes) has been checked.
 */
static PyObject *
decode_segment(const unsigned char *s, Py_ssize_t size, const unsigned char *crc_text,
               PyObject *frame)
{
    /* ASCII, no space, no "//", not encrypted; the first "CP=&&" */
    Py_ssize_t cp_at = -1;
    for (Py_ssize_t i = 0; i < size; i++) {
        unsigned char c = s[i];
        if (c >= 0x80 || c == ' ') {
            Py_RETURN_NONE;
        }
        if (c == '/' && i + 1 < size && s[i + 1] == '/') {
            Py_RETURN_NONE;
        }
        if (c == 'C' && size - i >= 5 && memcmp(s + i, "CP=&&", 5) == 0) {
            if (size - i >= 7 && s[i + 5] == '{' && s[i + 6] == '0') {
                Py_RETURN_NONE; /* SM4-encrypted data area (HJ 212-2025) */
            }
            if (cp_at < 0) {
                cp_at = i;
            }
        }
    }
    if (cp_at < 1 || s[cp_at - 1] != ';' || size < cp_at + 7 || s[size - 2] != '&'
        || s[size - 1] != '&') {
        Py_RETURN_NONE;
    }

    /* The header: name=value; items, '=' and ';' alternating exactly, no ','. Only the standard
       six items or eight with PNUM and PNO can match, so at most 16 separators. */
    Py_ssize_t header_seps[16];
    int count = 0;
    for (Py_ssize_t i = 0; i < cp_at; i++) {
        unsigned char c = s[i];
        if (c == ',') {
            Py_RETURN_NONE;
        }
        if (c == '=' || c == ';') {
            if (count == 16 || c != ((count & 1) ? ';' : '=')) {
                Py_RETURN_NONE;
            }
            header_seps[count++] = i;
        }
    }
    int items = count / 2; /* s[cp_at - 1] is ';': the count is even */
    if (items != 6 && items != 8) {
        Py_RETURN_NONE;
    }
    Span names[8], values[8];
    for (int k = 0; k < items; k++) {
        names[k].start = k == 0 ? 0 : header_seps[2 * k - 1] + 1;
        names[k].stop = header_seps[2 * k];
        values[k].start = header_seps[2 * k] + 1;
        values[k].stop = header_seps[2 * k + 1];
        size_t key_size = strlen(header_keys[k]);
        if ((size_t)(names[k].stop - names[k].start) != key_size
            || memcmp(s + names[k].start, header_keys[k], key_size) != 0) {
            Py_RETURN_NONE;
        }
    }

    /* The data area: its separators must alternate '=' and ';' or ',' and end with '='. */
    Py_ssize_t area_start = cp_at + 5, area_stop = size - 2;
    Py_ssize_t area_seps = 0;
    for (Py_ssize_t i = area_start; i < area_stop; i++) {
        unsigned char c = s[i];
        if (c == '=' || c == ';' || c == ',') {
            if ((c == '=') != ((area_seps & 1) == 0)) {
                Py_RETURN_NONE;
            }
            area_seps++;
        }
    }
    if (area_seps != 0 && (area_seps & 1) == 0) {
        Py_RETURN_NONE;
    }

    /* PNUM and PNO: 1 to 4 digits */
    long pnum = -1, pno = -1;
    if (items == 8) {
        Span a = values[6], b = values[7];
        if (!all_digits(s + a.start, a.stop - a.start) || !all_digits(s + b.start, b.stop - b.start)
            || a.stop - a.start > 4 || b.stop - b.start > 4) {
            Py_RETURN_NONE;
        }
        pnum = digits_value(s + a.start, a.stop - a.start);
        pno = digits_value(s + b.start, b.stop - b.start);
    }
    Span qn = values[0], st = values[1], cn = values[2], mn = values[4], flag_text = values[5];
    if (cn.stop - cn.start != 4 || !all_digits(s + cn.start, 4) || mn.stop == mn.start) {
        Py_RETURN_NONE;
    }
    Py_ssize_t flag_size = flag_text.stop - flag_text.start;
    if (flag_size > 3 || !all_digits(s + flag_text.start, flag_size)) {
        Py_RETURN_NONE;
    }
    long flag = digits_value(s + flag_text.start, flag_size);
    long version_bits = flag >> 2;
    if (version_bits >= VERSION_COUNT || (flag & 2) != (pnum < 0 ? 0 : 2)) {
        Py_RETURN_NONE;
    }

    /* The deviations, in the order of the Python code. */
    PyObject *found[5];
    int violation_count = 0;
    if (size > max_length) {
        found[violation_count++] = violation_length;
    }
    if (qn.stop - qn.start != 17 || !all_digits(s + qn.start, 17)) {
        found[violation_count++] = violation_qn;
    }
    int st_ok = st.stop - st.start == 2;
    for (Py_ssize_t i = st.start; st_ok && i < st.stop; i++) {
        st_ok = is_digit(s[i]) || (s[i] >= 'A' && s[i] <= 'Z');
    }
    if (!st_ok) {
        found[violation_count++] = violation_st;
    }
    if (version_bits != 0) {
        int mn_ok = mn.stop - mn.start == 24;
        for (Py_ssize_t i = mn.start; mn_ok && i < mn.stop; i++) {
            unsigned char c = s[i];
            mn_ok = is_digit(c) || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
        }
        if (!mn_ok) {
            found[violation_count++] = violation_mn;
        }
    }
    if (size > max_cp && size - cp_at > max_cp) {
        found[violation_count++] = violation_cp;
    }

    /* Build the objects. */
    PyObject *header = NULL, *fields = NULL, *flag_obj = NULL, *pnum_obj = NULL, *pno_obj = NULL;
    PyObject *length_obj = NULL, *crc_obj = NULL, *violations = NULL, *values_tuple = NULL;
    PyObject *args = NULL, *packet = NULL;

    header = PyTuple_New(2 * items);
    if (header == NULL) {
        goto done;
    }
    for (int k = 0; k < items; k++) {
        PyTuple_SET_ITEM(header, 2 * k, Py_NewRef(header_names[k]));
        PyObject *value = ascii_str(s + values[k].start, values[k].stop - values[k].start);
        if (value == NULL) {
            goto done;
        }
        PyTuple_SET_ITEM(header, 2 * k + 1, value);
    }
    fields = PyTuple_New(area_seps == 0 ? 0 : area_seps + 1);
    if (fields == NULL) {
        goto done;
    }
    if (area_seps != 0) {
        Py_ssize_t start = area_start, index = 0;
        for (Py_ssize_t i = area_start; i <= area_stop; i++) {
            if (i == area_stop || s[i] == '=' || s[i] == ';' || s[i] == ',') {
                PyObject *item = ascii_str(s + start, i - start);
                if (item == NULL) {
                    goto done;
                }
                PyTuple_SET_ITEM(fields, index++, item);
                start = i + 1;
            }
        }
    }
    flag_obj = PyLong_FromLong(flag);
    if (flag_obj == NULL) {
        goto done;
    }
    if (pnum >= 0) {
        pnum_obj = PyLong_FromLong(pnum);
        pno_obj = PyLong_FromLong(pno);
        if (pnum_obj == NULL || pno_obj == NULL) {
            goto done;
        }
    }
    else {
        pnum_obj = Py_NewRef(Py_None);
        pno_obj = Py_NewRef(Py_None);
    }
    length_obj = PyLong_FromSsize_t(size);
    crc_obj = ascii_str(crc_text, 4);
    violations = PyTuple_New(violation_count);
    if (length_obj == NULL || crc_obj == NULL || violations == NULL) {
        goto done;
    }
    for (int k = 0; k < violation_count; k++) {
        PyTuple_SET_ITEM(violations, k, Py_NewRef(found[k]));
    }

    values_tuple = PyTuple_New(PACKET_FIELDS);
    if (values_tuple == NULL) {
        goto done;
    }
    /* the order of Packet's fields; the tuple takes over the references made above */
    PyTuple_SET_ITEM(values_tuple, 0, Py_NewRef(PyTuple_GET_ITEM(header, 1))); /* qn */
    PyTuple_SET_ITEM(values_tuple, 1, Py_NewRef(PyTuple_GET_ITEM(header, 3))); /* st */
    PyTuple_SET_ITEM(values_tuple, 2, Py_NewRef(PyTuple_GET_ITEM(header, 5))); /* cn */
    PyTuple_SET_ITEM(values_tuple, 3, Py_NewRef(PyTuple_GET_ITEM(header, 7))); /* pw */
    PyTuple_SET_ITEM(values_tuple, 4, Py_NewRef(PyTuple_GET_ITEM(header, 9))); /* mn */
    PyTuple_SET_ITEM(values_tuple, 5, flag_obj);
    PyTuple_SET_ITEM(values_tuple, 6, pnum_obj);
    PyTuple_SET_ITEM(values_tuple, 7, pno_obj);
    PyTuple_SET_ITEM(values_tuple, 8, fields);
    PyTuple_SET_ITEM(values_tuple, 9, Py_NewRef(versions[version_bits]));
    PyTuple_SET_ITEM(values_tuple, 10, Py_NewRef(standard_dialect));
    PyTuple_SET_ITEM(values_tuple, 11, crc_obj);
    PyTuple_SET_ITEM(values_tuple, 12, length_obj);
    PyTuple_SET_ITEM(values_tuple, 13, Py_NewRef(utf8_str)); /* encoding */
    PyTuple_SET_ITEM(values_tuple, 14, Py_NewRef(Py_False)); /* encrypted */
    PyTuple_SET_ITEM(values_tuple, 15, header);
    PyTuple_SET_ITEM(values_tuple, 16, violations);
    PyTuple_SET_ITEM(values_tuple, 17, Py_NewRef(frame)); /* raw */
    flag_obj = pnum_obj = pno_obj = fields = crc_obj = length_obj = header = violations = NULL;
    /* tuple.__new__(Packet, values), as hj212_packet does */
    args = PyTuple_Pack(1, values_tuple);
    if (args == NULL) {
        goto done;
    }
    packet = PyTuple_Type.tp_new((PyTypeObject *)packet_type, args, NULL);

done:
    Py_XDECREF(header);
    Py_XDECREF(fields);
    Py_XDECREF(flag_obj);
    Py_XDECREF(pnum_obj);
    Py_XDECREF(pno_obj);
    Py_XDECREF(length_obj);
    Py_XDECREF(crc_obj);
    Py_XDECREF(violations);
    Py_XDECREF(values_tuple);
    Py_XDECREF(args);
    return packet;
}

/* --- the frame: the fast lane of hj212_frame ------------------------------------------------ */

PyDoc_STRVAR(parse_fast_doc,
"parse_fast(frame, /)\n--\n\n"
"The Packet of an HJ 212 frame in the common layout (standard CRC, ASCII, standard header), as\n"
"the pure-Python fast lane of parse_packet returns it; None for any other frame.");

static PyObject *
parse_fast(PyObject *module, PyObject *frame)
{
    (void)module;
    if (!PyBytes_CheckExact(frame)) {
        PyErr_Format(PyExc_TypeError, "parse_fast() argument must be bytes, not %.200s",
                     Py_TYPE(frame)->tp_name);
        return NULL;
    }
    if (packet_type == NULL) {
        Py_RETURN_NONE;
    }
    const unsigned char *f = (const unsigned char *)PyBytes_AS_STRING(frame);
    Py_ssize_t n = PyBytes_GET_SIZE(frame);
    if (n < 10 || f[0] != '#' || f[1] != '#') {
        Py_RETURN_NONE;
    }
    for (int i = 2; i < 6; i++) {
        if (!is_digit(f[i])) {
            Py_RETURN_NONE;
        }
    }
    Py_ssize_t size = digits_value(f + 2, 4);
    Py_ssize_t seg_end = 6 + size;
    if (!((n == seg_end + 6 && f[n - 2] == '\r' && f[n - 1] == '\n') || n == seg_end + 4)) {
        Py_RETURN_NONE;
    }
    const unsigned char *crc_text = f + seg_end;
    unsigned crc = crc16(f + 6, size);
    if (crc_text[0] != upper_hex[(crc >> 12) & 15] || crc_text[1] != upper_hex[(crc >> 8) & 15]
        || crc_text[2] != upper_hex[(crc >> 4) & 15] || crc_text[3] != upper_hex[crc & 15]) {
        Py_RETURN_NONE;
    }
    return decode_segment(f + 6, size, crc_text, frame);
}

PyDoc_STRVAR(configure_doc,
"configure(packet_class, versions, standard_dialect, max_length, max_cp, /)\n--\n\n"
"Give parse_fast what it builds packets from: the Packet NamedTuple class, the Version members\n"
"indexed by their version bits (a 3-tuple), CrcDialect.STANDARD, and the limits of the data\n"
"segment (1024) and of CP (950) of HJ 212-2017 Tables 2 and 3.");

static PyObject *
configure(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5) {
        PyErr_Format(PyExc_TypeError, "configure() takes 5 positional arguments (%zd given)",
                     nargs);
        return NULL;
    }
    PyObject *cls = args[0], *version_tuple = args[1], *dialect = args[2];
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "configure(): the packet class must be a tuple subclass");
        return NULL;
    }
    PyObject *field_names = PyObject_GetAttrString(cls, "_fields");
    if (field_names == NULL) {
        return NULL;
    }
    Py_ssize_t field_count = PyObject_Length(field_names);
    Py_DECREF(field_names);
    if (field_count < 0) {
        return NULL;
    }
    if (field_count != PACKET_FIELDS) {
        PyErr_Format(PyExc_ValueError, "configure(): the packet class must have %d fields, not %zd",
                     PACKET_FIELDS, field_count);
        return NULL;
    }
    if (!PyTuple_CheckExact(version_tuple) || PyTuple_GET_SIZE(version_tuple) != VERSION_COUNT) {
        PyErr_SetString(PyExc_TypeError, "configure(): versions must be a tuple of 3 members");
        return NULL;
    }
    Py_ssize_t length_limit = PyLong_AsSsize_t(args[3]);
    if (length_limit == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_ssize_t cp_limit = PyLong_AsSsize_t(args[4]);
    if (cp_limit == -1 && PyErr_Occurred()) {
        return NULL;
    }
    Py_XSETREF(packet_type, Py_NewRef(cls));
    for (int k = 0; k < VERSION_COUNT; k++) {
        Py_XSETREF(versions[k], Py_NewRef(PyTuple_GET_ITEM(version_tuple, k)));
    }
    Py_XSETREF(standard_dialect, Py_NewRef(dialect));
    max_length = length_limit;
    max_cp = cp_limit;
    Py_RETURN_NONE;
}

/* --- crc16(data) and plain_numbers(texts) ------------------------------------------------------ */

PyDoc_STRVAR(crc16_doc,
"crc16(data: bytes) -> int\n--\n\n"
"The HJ 212 CRC16 of data (HJ 212-2017 Appendix A), as hj212_crc.crc16 computes it.");

static PyObject *
crc16_of(PyObject *module, PyObject *data)
{
    if (!PyBytes_CheckExact(data)) {
        PyErr_Format(PyExc_TypeError, "crc16 expects bytes, not %.100s", Py_TYPE(data)->tp_name);
        return NULL;
    }
    return PyLong_FromUnsignedLong(
        crc16((const unsigned char *)PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data)));
}

PyDoc_STRVAR(plain_numbers_doc,
"plain_numbers(texts: tuple[str, ...]) -> list[float | None] | None\n--\n\n"
"The values of reading texts as hj212_records.reading_value reads them (None for a text that is\n"
"no finite number), when every text is ASCII made of digits, signs, '.', 'e' and 'E' only;\n"
"otherwise None, and Python reads them.");

static PyObject *
plain_numbers(PyObject *module, PyObject *texts)
{
    if (!PyTuple_CheckExact(texts)) {
        PyErr_Format(PyExc_TypeError, "plain_numbers expects a tuple, not %.100s",
                     Py_TYPE(texts)->tp_name);
        return NULL;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(texts);
    for (Py_ssize_t i = 0; i < n; i++) { /* first make sure C reads them all as Python would */
        PyObject *text = PyTuple_GET_ITEM(texts, i);
        if (!PyUnicode_CheckExact(text) || !PyUnicode_IS_COMPACT_ASCII(text)) {
            Py_RETURN_NONE;
        }
        const char *chars = (const char *)PyUnicode_DATA(text);
        Py_ssize_t size = PyUnicode_GET_LENGTH(text);
        for (Py_ssize_t k = 0; k < size; k++) {
            char c = chars[k];
            if (!((c >= '0' && c <= '9') || c == '.' || c == '-' || c == '+' || c == 'e'
                  || c == 'E')) {
                Py_RETURN_NONE; /* spaces, '_', nan, inf, …: Python's float() rules decide */
            }
        }
    }
    PyObject *out = PyList_New(n);
    if (out == NULL) {
        return NULL;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *text = PyTuple_GET_ITEM(texts, i);
        const char *chars = (const char *)PyUnicode_DATA(text);
        Py_ssize_t size = PyUnicode_GET_LENGTH(text);
        char *end = NULL;
        /* float() of such a text is this call (no whitespace or '_' to strip); it fails unless
           the whole text is consumed, and it overflows to ±inf, which is no reading */
        double value = size ? PyOS_string_to_double(chars, &end, NULL) : -1.0;
        PyObject *item;
        if (value == -1.0 && PyErr_Occurred()) {
            PyErr_Clear();
            end = NULL;
        }
        if (size && end == chars + size && isfinite(value)) {
            item = PyFloat_FromDouble(value);
            if (item == NULL) {
                Py_DECREF(out);
                return NULL;
            }
        }
        else {
            item = Py_NewRef(Py_None);
        }
        PyList_SET_ITEM(out, i, item);
    }
    return out;
}

/* --- the gateway's steady lane ----------------------------------------------------------- */

PyDoc_STRVAR(steady_frames_doc,
"steady_frames(data, head, names, /)\n--\n\n"
"The (QN, fields) of each frame of a read made of whole frames ending in CR LF, when every one\n"
"is a frame parse_fast decodes without deviations other than the ST and MN formats, whose header\n"
"after its 17-digit QN is exactly head and whose data-area names are names, in order; None for\n"
"any other read. head and names come from a packet parse_fast decoded (hj212_steady.lane_of).");

/*
 * One frame at d[0:n] (n >= the frame): its size with CR LF, or 0 when it is not in the lane.
 * On success *qn_at is the QN's offset in d and fields (a new tuple) is stored in *fields.
 */
static Py_ssize_t
steady_frame(const unsigned char *d, Py_ssize_t n, const unsigned char *head, Py_ssize_t head_size,
             PyObject *names, PyObject **fields)
{
    *fields = NULL;
    if (n < 12 || d[0] != '#' || d[1] != '#' || !all_digits(d + 2, 4)) {
        return 0;
    }
    Py_ssize_t size = digits_value(d + 2, 4);
    Py_ssize_t seg_end = 6 + size;
    if (seg_end + 6 > n || d[seg_end + 4] != '\r' || d[seg_end + 5] != '\n'
        || size > max_length) {
        return 0;
    }
    const unsigned char *s = d + 6, *crc_text = d + seg_end;
    unsigned crc = crc16(s, size);
    if (crc_text[0] != upper_hex[(crc >> 12) & 15] || crc_text[1] != upper_hex[(crc >> 8) & 15]
        || crc_text[2] != upper_hex[(crc >> 4) & 15] || crc_text[3] != upper_hex[crc & 15]) {
        return 0;
    }
    /* "QN=" + 17 digits + head + "CP=&&" + data area + "&&" (the QN format of §6.3.2 Table 3;
       head holds the rest of a header parse_fast took, so this is its first "CP=&&") */
    Py_ssize_t cp_at = 20 + head_size, area_start = cp_at + 5, area_stop = size - 2;
    if (area_stop <= area_start || memcmp(s, "QN=", 3) != 0 || !all_digits(s + 3, 17)
        || memcmp(s + 20, head, head_size) != 0 || memcmp(s + cp_at, "CP=&&", 5) != 0
        || s[size - 2] != '&' || s[size - 1] != '&' || (size > max_cp && size - cp_at > max_cp)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < size; i++) { /* ASCII, no space, no "//", not SM4-encrypted */
        unsigned char c = s[i];
        if (c >= 0x80 || c == ' ' || (c == '/' && i + 1 < size && s[i + 1] == '/')
            || (c == 'C' && size - i >= 7 && memcmp(s + i, "CP=&&{0", 7) == 0)) {
            return 0;
        }
    }
    /* name=value pairs separated by ';' or ',', the names those of the lane */
    Py_ssize_t count = PyTuple_GET_SIZE(names);
    PyObject *out = PyTuple_New(2 * count);
    if (out == NULL) {
        return -1;
    }
    Py_ssize_t at = area_start;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *name = PyTuple_GET_ITEM(names, k);
        Py_ssize_t name_size = PyUnicode_GET_LENGTH(name);
        if (area_stop - at <= name_size || s[at + name_size] != '='
            || memcmp(s + at, PyUnicode_DATA(name), name_size) != 0) {
            goto other;
        }
        Py_ssize_t start = at + name_size + 1, stop = start;
        while (stop < area_stop && s[stop] != '=' && s[stop] != ';' && s[stop] != ',') {
            stop++;
        }
        if (stop < area_stop ? (s[stop] == '=' || k == count - 1) : k != count - 1) {
            goto other;
        }
        PyObject *value = ascii_str(s + start, stop - start);
        if (value == NULL) {
            Py_DECREF(out);
            return -1;
        }
        PyTuple_SET_ITEM(out, 2 * k, Py_NewRef(name));
        PyTuple_SET_ITEM(out, 2 * k + 1, value);
        at = stop + 1;
    }
    *fields = out;
    return seg_end + 6;
other:
    Py_DECREF(out);
    return 0;
}

static PyObject *
steady_frames(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 3 || !PyBytes_CheckExact(args[0]) || !PyBytes_CheckExact(args[1])
        || !PyTuple_CheckExact(args[2])) {
        PyErr_SetString(PyExc_TypeError, "steady_frames(data: bytes, head: bytes, names: tuple)");
        return NULL;
    }
    PyObject *names = args[2];
    Py_ssize_t count = PyTuple_GET_SIZE(names);
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *name = PyTuple_GET_ITEM(names, k);
        if (!PyUnicode_CheckExact(name) || !PyUnicode_IS_COMPACT_ASCII(name)) {
            PyErr_SetString(PyExc_TypeError, "steady_frames: the names must be ASCII str");
            return NULL;
        }
    }
    const unsigned char *d = (const unsigned char *)PyBytes_AS_STRING(args[0]);
    Py_ssize_t n = PyBytes_GET_SIZE(args[0]);
    const unsigned char *head = (const unsigned char *)PyBytes_AS_STRING(args[1]);
    Py_ssize_t head_size = PyBytes_GET_SIZE(args[1]);
    if (count == 0 || n == 0) {
        Py_RETURN_NONE;
    }
    PyObject *out = PyList_New(0);
    if (out == NULL) {
        return NULL;
    }
    Py_ssize_t at = 0;
    while (at < n) {
        PyObject *fields;
        Py_ssize_t used = steady_frame(d + at, n - at, head, head_size, names, &fields);
        if (used <= 0) {
            Py_DECREF(out);
            if (used < 0) {
                return NULL;
            }
            Py_RETURN_NONE;
        }
        PyObject *qn = PyBytes_FromStringAndSize((const char *)d + at + 9, 17);
        PyObject *pair = qn == NULL ? NULL : PyTuple_Pack(2, qn, fields);
        Py_XDECREF(qn);
        Py_DECREF(fields);
        if (pair == NULL || PyList_Append(out, pair) < 0) {
            Py_XDECREF(pair);
            Py_DECREF(out);
            return NULL;
        }
        Py_DECREF(pair);
        at += used;
    }
    return out;
}

PyDoc_STRVAR(data_answers_doc,
"data_answers(qns, tail, /)\n--\n\n"
"The 9014 answers to packets with the QNs qns (a list of bytes), joined: each the frame of the\n"
"data segment b'QN=' + qn + tail with its standard CRC and CR LF.");

static PyObject *
data_answers(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 2 || !PyList_CheckExact(args[0]) || !PyBytes_CheckExact(args[1])) {
        PyErr_SetString(PyExc_TypeError, "data_answers(qns: list[bytes], tail: bytes)");
        return NULL;
    }
    PyObject *qns = args[0];
    const char *tail = PyBytes_AS_STRING(args[1]);
    Py_ssize_t tail_size = PyBytes_GET_SIZE(args[1]), count = PyList_GET_SIZE(qns), total = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *qn = PyList_GET_ITEM(qns, k);
        if (!PyBytes_CheckExact(qn)) {
            PyErr_SetString(PyExc_TypeError, "data_answers: every QN must be bytes");
            return NULL;
        }
        Py_ssize_t size = 3 + PyBytes_GET_SIZE(qn) + tail_size;
        if (size > 9999) {
            PyErr_SetString(PyExc_ValueError, "data_answers: an answer over 9999 bytes");
            return NULL;
        }
        total += 6 + size + 6;
    }
    PyObject *out = PyBytes_FromStringAndSize(NULL, total);
    if (out == NULL) {
        return NULL;
    }
    unsigned char *w = (unsigned char *)PyBytes_AS_STRING(out);
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *qn = PyList_GET_ITEM(qns, k);
        Py_ssize_t qn_size = PyBytes_GET_SIZE(qn), size = 3 + qn_size + tail_size;
        w[0] = w[1] = '#';
        for (int i = 5; i >= 2; i--, size /= 10) {
            w[i] = (unsigned char)('0' + size % 10);
        }
        size = 3 + qn_size + tail_size;
        unsigned char *s = w + 6;
        memcpy(s, "QN=", 3);
        memcpy(s + 3, PyBytes_AS_STRING(qn), qn_size);
        memcpy(s + 3 + qn_size, tail, tail_size);
        unsigned crc = crc16(s, size);
        unsigned char *c = s + size;
        c[0] = upper_hex[(crc >> 12) & 15];
        c[1] = upper_hex[(crc >> 8) & 15];
        c[2] = upper_hex[(crc >> 4) & 15];
        c[3] = upper_hex[crc & 15];
        c[4] = '\r';
        c[5] = '\n';
        w = c + 6;
    }
    return out;
}

static PyMethodDef methods[] = {
    {"parse_fast", (PyCFunction)parse_fast, METH_O, parse_fast_doc},
    {"configure", (PyCFunction)(void (*)(void))configure, METH_FASTCALL, configure_doc},
    {"crc16", (PyCFunction)crc16_of, METH_O, crc16_doc},
    {"plain_numbers", (PyCFunction)plain_numbers, METH_O, plain_numbers_doc},
    {"steady_frames", (PyCFunction)(void (*)(void))steady_frames, METH_FASTCALL,
     steady_frames_doc},
    {"data_answers", (PyCFunction)(void (*)(void))data_answers, METH_FASTCALL, data_answers_doc},
    {NULL, NULL, 0, NULL},
};

PyDoc_STRVAR(module_doc,
"C fast lane of ecodata.protocols.hj212_frame.parse_packet (HJ 212 frames in the common layout).\n"
"The pure-Python code is the reference: whatever this module is unsure of, it leaves to it.");

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    "ecodata.protocols._hj212_speedups",
    module_doc,
    -1, /* the state is in static variables: one instance per process */
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

/* Store a new reference in a static slot (dropping what it held); -1 if value is NULL. */
static int
keep(PyObject **slot, PyObject *value)
{
    if (value == NULL) {
        return -1;
    }
    Py_XSETREF(*slot, value);
    return 0;
}

static int
intern_constants(void)
{
    for (int k = 0; k < 8; k++) {
        if (keep(&header_names[k], PyUnicode_InternFromString(header_keys[k])) < 0) {
            return -1;
        }
    }
    for (int c = 0; c < 128; c++) {
        if (keep(&one_char[c], PyUnicode_FromOrdinal(c)) < 0) {
            return -1;
        }
    }
    if (keep(&empty_str, PyUnicode_New(0, 0)) < 0
        || keep(&utf8_str, PyUnicode_InternFromString("utf-8")) < 0
        || keep(&violation_length, PyUnicode_InternFromString("length-over-1024")) < 0
        || keep(&violation_qn, PyUnicode_InternFromString("qn-format")) < 0
        || keep(&violation_st, PyUnicode_InternFromString("st-format")) < 0
        || keep(&violation_mn, PyUnicode_InternFromString("mn-format")) < 0
        || keep(&violation_cp, PyUnicode_InternFromString("cp-over-950")) < 0) {
        return -1;
    }
    return 0;
}

PyMODINIT_FUNC
PyInit__hj212_speedups(void)
{
    if (crc_prepare() < 0) {
        PyErr_SetString(PyExc_ImportError, "the HJ 212 CRC tables did not check");
        return NULL;
    }
    static int constants_ready = 0;
    if (!constants_ready) {
        if (intern_constants() < 0) {
            return NULL;
        }
        constants_ready = 1;
    }
    return PyModule_Create(&module_def);
}
