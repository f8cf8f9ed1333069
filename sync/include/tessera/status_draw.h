/* Status codes of the draw area (see status.h for the format). */
#ifndef TESSERA_STATUS_DRAW_H
#define TESSERA_STATUS_DRAW_H

#define TSR_STATUS_LIST_DRAW(X)

#endif
