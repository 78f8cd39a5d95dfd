@IsString() @IsString() @Body() export class User {
}
