#include <stdio.h>

#include "greet.h"

int main(int argc, char **argv)
{
    int i;

    if (argc < 2) {
        fprintf(stderr, "usage: %s NAME...\n", argv[0]);
        return 2;
    }
    for (i = 1; i < argc; i++)
        if (greet(argv[i]) < 0)
            return 1;
    return 0;
}
