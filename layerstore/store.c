/* store.c - in progress */
#include "layerstore.h"
