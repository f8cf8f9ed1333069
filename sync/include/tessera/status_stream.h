/* Status codes of the stream area (see status.h for the format). */
#ifndef TESSERA_STATUS_STREAM_H
#define TESSERA_STATUS_STREAM_H

#define TSR_STATUS_LIST_STREAM(X)

#endif
