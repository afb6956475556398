#include <stdio.h>

#include "greet.h"

int greet(const char *name)
{
    return printf("%s, %s!\n", GREETING, name);
}
