/* Status codes of the node area (see status.h for the format). */
#ifndef TESSERA_STATUS_NODE_H
#define TESSERA_STATUS_NODE_H

#define TSR_STATUS_LIST_NODE(X)

#endif
