export const jwtConstants = {
  secret: 'do-not-use-this-in-production',
};
