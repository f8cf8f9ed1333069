/* Status codes of the geo area (see status.h for the format). */
#ifndef TESSERA_STATUS_GEO_H
#define TESSERA_STATUS_GEO_H

#define TSR_STATUS_LIST_GEO(X)

#endif
