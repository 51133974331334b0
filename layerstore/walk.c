/* walk.c - in progress */
#include "layerstore.h"
