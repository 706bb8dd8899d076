// zlib, for the deflate stream inside HdrHistogram's compressed encoding (latency.hlog).
#include <zlib.h>
