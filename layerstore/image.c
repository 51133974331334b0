/* image.c - in progress */
#include "layerstore.h"
