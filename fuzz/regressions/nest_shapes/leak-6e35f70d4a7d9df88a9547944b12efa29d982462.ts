import {  } from '@nestjs/common';
