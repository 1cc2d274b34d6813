from .helpers import Chain, MotoAdmin
from .servers import ContainerCredentials, IMDSv2


def test_container_bad_token(chain: Chain, moto_admin: MotoAdmin) -> None:
    creds = moto_admin.assume_role("EcsTaskRole", "t")
    with ContainerCredentials("good", creds) as server:
        r = chain.run(env={"AWS_CONTAINER_CREDENTIALS_FULL_URI": server.full_uri,
                           "AWS_CONTAINER_AUTHORIZATION_TOKEN": "bad"})
    print("CONTAINER", r)

def test_imds_role_missing(chain: Chain, moto_admin: MotoAdmin) -> None:
    creds = moto_admin.assume_role("EcsTaskRole", "t")
    with IMDSv2("Other", creds) as imds:
        imds.token = "x"
        r = chain.run(env={"AWS_EC2_METADATA_DISABLED": None,
                           "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.url + "/"})
        print("IMDS", r["error"], r["message"][:300], [(x.method, x.path, x.status) for x in imds.records])
